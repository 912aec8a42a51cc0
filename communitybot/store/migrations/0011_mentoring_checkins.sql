-- Mentoring check-ins, flags, per-community mentoring settings and a mentee's time-zone window.
--
-- Each community's mentoring settings: matching on every new request/offer (auto_match) and
-- the days between an introduction (or an unanswered check-in) and the next check-in.
CREATE TABLE mentoring_settings (
    community_id INTEGER PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    auto_match INTEGER NOT NULL DEFAULT 0,
    checkin_days INTEGER NOT NULL DEFAULT 14 CHECK (checkin_days BETWEEN 3 AND 90)
);

-- A hard rule of the request: only mentors whose UTC offset is within this many minutes of the
-- mentee's. NULL: no window.
ALTER TABLE mentee_requests ADD COLUMN tz_window_minutes INTEGER;

-- When the moderators were told that a side left two check-ins unanswered (told once).
ALTER TABLE mentor_pairs ADD COLUMN flagged_at TEXT;

-- One row per check-in question to one side of a pairing; `round` counts from 1. An answer
-- (met / not_yet / end) fills `answer`; a row still without one when the next round comes is
-- a check-in left unanswered. Deleting the pairing or the member deletes their rows.
CREATE TABLE mentor_checkins (
    pair_id INTEGER NOT NULL REFERENCES mentor_pairs (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    asked_at TEXT NOT NULL,
    answer TEXT CHECK (answer IN ('met', 'not_yet', 'end')),
    answered_at TEXT,
    PRIMARY KEY (pair_id, member_id, round)
);
CREATE INDEX mentor_checkins_by_member ON mentor_checkins (member_id);
CREATE INDEX mentor_pairs_community ON mentor_pairs (community_id, status);

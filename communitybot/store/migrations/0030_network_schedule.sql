-- Network mentor matching and network peer rounds on a schedule (issue #14): one row per
-- network and kind ('mentors': automatic `network mentors match`; 'rounds': `network rounds
-- run`), with the community rounds' timing (frequency, weekday, local time in an IANA zone,
-- anchored at the last run). `active` 0 is paused (or auto_match off): the timing is kept for
-- `resume`. `generation` grows with every change, so a job planned under an older setting is a
-- no-op. `community_id` is the affiliate whose process runs the job and whose rounds record a
-- network round (the steward's at setup; another affiliate once it leaves). Deleting the
-- network (its last affiliate left) deletes the row, and a pending job then does nothing.
CREATE TABLE network_schedules (
    network_id INTEGER NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('mentors', 'rounds')),
    frequency TEXT NOT NULL CHECK (frequency IN ('weekly', 'biweekly', 'monthly')),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    local_time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    anchor TEXT NOT NULL,
    next_at TEXT,
    generation INTEGER NOT NULL DEFAULT 1,
    community_id INTEGER REFERENCES communities (id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (network_id, kind)
);

-- Peer rounds (Donut-style pairing by shared interests): the community's schedule, who takes
-- part, each round run, the groups it introduced and each member's answer to the follow-up.
-- Deleting a member (/forgetme) deletes their participation and their seats in groups.

-- One schedule per community. `generation` grows with every /rounds setup or /rounds off, and
-- is part of the scheduled job's key, so a job from an older schedule finds nothing to do.
CREATE TABLE round_settings (
    community_id INTEGER PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    frequency TEXT NOT NULL CHECK (frequency IN ('weekly', 'biweekly', 'monthly')),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    local_time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    no_repeat_rounds INTEGER NOT NULL CHECK (no_repeat_rounds BETWEEN 0 AND 52),
    active INTEGER NOT NULL DEFAULT 1,
    anchor TEXT NOT NULL,
    next_at TEXT,
    generation INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);

-- A member who opted in. 'paused' skips `skip_rounds` more rounds (NULL: until resumed);
-- 'on_hold' waits for a re-confirmation after unanswered follow-ups. `confirmed_at` is the
-- last (re)join: only follow-ups after it count towards the next re-confirmation.
CREATE TABLE round_members (
    member_id INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'on_hold')),
    skip_rounds INTEGER,
    confirmed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX round_members_by_community ON round_members (community_id, status);

-- One row per round run; (community, round_key = local date) makes a round once-per-day.
CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    round_key TEXT NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    started_at TEXT NOT NULL,
    UNIQUE (community_id, round_key)
);

-- One row per introduction. `idempotency_key` (round id + sorted member ids) is written before
-- the introduction is sent, so a replayed round never introduces the same group twice.
CREATE TABLE round_groups (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL UNIQUE,
    shared TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX round_groups_by_round ON round_groups (round_id);

CREATE TABLE round_group_members (
    group_id INTEGER NOT NULL REFERENCES round_groups (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    asked_at TEXT,
    answer TEXT CHECK (answer IN ('yes', 'no', 'skip')),
    answered_at TEXT,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX round_group_members_by_member ON round_group_members (member_id, group_id);

-- Recurring facilitated topic chats and members' reminder subscriptions.
-- A series keeps its schedule (kind, local time, IANA zone, anchor = the local date of an actual
-- occurrence, moved forward as chats happen) and its next occurrence in UTC (next_start), which is
-- recomputed only when that chat starts: reading upcoming chats never recomputes a rule.
-- skipped: JSON list of local ISO dates moderators skipped. status 'cancelled' keeps the row.
CREATE TABLE chat_series (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    hashtag TEXT NOT NULL,
    title TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('weekly', 'monthly', 'once')),
    timezone TEXT NOT NULL,
    local_time TEXT NOT NULL,
    anchor TEXT NOT NULL,
    interval INTEGER NOT NULL DEFAULT 1,
    nth INTEGER,
    duration_minutes INTEGER NOT NULL DEFAULT 60,
    next_start TEXT,
    skipped TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled', 'ended')),
    created_by INTEGER REFERENCES members (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
-- One live series per hashtag in a community (a cancelled one frees its hashtag).
CREATE UNIQUE INDEX chat_series_hashtag ON chat_series (community_id, hashtag)
    WHERE status = 'active';

-- lead_minutes: JSON list of minutes before the start, e.g. [1440, 15].
CREATE TABLE chat_subscriptions (
    series_id INTEGER NOT NULL REFERENCES chat_series (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    lead_minutes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (series_id, member_id)
);
CREATE INDEX chat_subscriptions_by_member ON chat_subscriptions (member_id);

-- Problems of practice (`/ask`) and the members following them (`/follow`).
-- An ask stays open until its asker records an outcome (`/resolve`); deleting a member
-- (/forgetme) deletes their asks and their follows.
CREATE TABLE asks (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    problem TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    remind_days INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    outcome TEXT,
    resolved_at TEXT
);
CREATE INDEX asks_by_community ON asks (community_id, resolved_at);
CREATE INDEX asks_by_member ON asks (member_id);

CREATE TABLE ask_followers (
    ask_id INTEGER NOT NULL REFERENCES asks (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (ask_id, member_id)
);
CREATE INDEX ask_followers_by_member ON ask_followers (member_id);

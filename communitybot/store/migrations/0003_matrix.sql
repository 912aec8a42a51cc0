-- The Matrix adapter's own state: where the sync stopped, the login it may reuse, and the
-- direct-message room the bot shares with each member. Keyed by the bot account, so pointing
-- the same database at another bot account starts clean instead of reusing foreign state.
CREATE TABLE matrix_state (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (account, key)
);

CREATE TABLE matrix_dm_rooms (
    account TEXT NOT NULL,
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    space_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account, user_id)
);
CREATE INDEX matrix_dm_rooms_by_room ON matrix_dm_rooms (account, room_id);

"""The Matrix adapter's own tables, created by its own migrations (counted in `adapter_schema`).

Version 1 is what the core's migration 0003 used to create; a database that ran it is recorded
as already at version 1 (core migration 0019), so its sync position, login and DM rooms stay.
Add a step at the end, never edit one that shipped; every name starts with `matrix_`.
"""

from __future__ import annotations

from communitybot.ports import AdapterMigration

NAMESPACE = "matrix"

MIGRATIONS: tuple[AdapterMigration, ...] = (
    AdapterMigration(
        1,
        """
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
""",
    ),
    AdapterMigration(
        2,
        """
-- The copies the bot posted of network-chat messages said elsewhere (issue #15): one row per
-- event of a copy (a long message is several), keyed by room and the original's relay key, so a
-- relay is posted once, its edits and deletions reach every part, and a member's reply to a
-- copy is traced back to the original. author/origin/reply_line/links are what the copy shows
-- besides the text, kept so an edit re-renders it the same way.
CREATE TABLE matrix_relay_copies (
    account TEXT NOT NULL,
    room_id TEXT NOT NULL,
    relay_key TEXT NOT NULL,
    part INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    author TEXT NOT NULL,
    origin TEXT NOT NULL,
    reply_line TEXT NOT NULL,
    links TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account, room_id, relay_key, part)
);
CREATE INDEX matrix_relay_copies_by_event ON matrix_relay_copies (account, event_id);
""",
    ),
    AdapterMigration(
        3,
        """
-- The `.ics` file the bot posted and pinned for each calendar entry ("chat:<series id>") of a
-- space: the room it is in and its event, so the next publish swaps the pin and redacts it.
CREATE TABLE matrix_calendar_files (
    account TEXT NOT NULL,
    space_id TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    room_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, space_id, entry_key)
);
""",
    ),
    AdapterMigration(
        4,
        """
-- The devices an operator trusts (`communitybot matrix trust`, issue #18): the member's user id,
-- device id and the ed25519 key read out of band (Element: Settings → Sessions). Under either
-- trust policy a device whose key matches gets room keys and one whose key differs gets none.
CREATE TABLE matrix_trusted_devices (
    account TEXT NOT NULL,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    ed25519 TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (account, user_id, device_id)
);
""",
    ),
)

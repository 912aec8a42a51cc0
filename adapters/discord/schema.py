"""The Discord adapter's own tables, created by its own migrations (counted in `adapter_schema`).

Versions 1 and 2 are what the core's migrations 0004 and 0006 used to create; a database that
ran them is recorded at that version (core migration 0019), so the synced catalogue's hash,
fallback threads and DM channels stay. Add a step at the end, never edit one that shipped;
every name starts with `discord_`.
"""

from __future__ import annotations

from communitybot.ports import AdapterMigration

NAMESPACE = "discord"

MIGRATIONS: tuple[AdapterMigration, ...] = (
    AdapterMigration(
        1,
        """
-- The Discord adapter's own state, keyed by application id: the hash of the command catalogue
-- last synced to Discord (so commands are re-registered only when the catalogue changed).
CREATE TABLE discord_state (
    application_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (application_id, key)
);
""",
    ),
    AdapterMigration(
        2,
        """
-- Where the Discord adapter talks to each member privately, kept so a restart changes nothing.
-- discord_fallback_threads: the private thread in a guild's welcome channel used instead of DMs
-- when the member's DMs are closed (one per guild and member, reused for every later message).
-- discord_dm_channels: the guild a member's DM channel serves, because DM interactions and DM
-- messages carry no guild id (the guild the bot last wrote from, as with Matrix DM rooms).
CREATE TABLE discord_fallback_threads (
    application_id TEXT NOT NULL,
    guild_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (application_id, guild_id, user_id)
);

CREATE TABLE discord_dm_channels (
    application_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    guild_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (application_id, user_id)
);
CREATE INDEX discord_dm_channels_by_channel ON discord_dm_channels (application_id, channel_id);
""",
    ),
    AdapterMigration(
        3,
        """
-- Network chats relayed into Discord (issue #15).
-- discord_relay_webhooks: the webhook the bot posts copies through, one per text channel (a
-- thread posts through its parent's). The token is a secret: never logged, never in /mydata.
-- discord_relay_copies: every piece of every copy, so a copy is posted once per relay key, can
-- be edited and deleted, and a reply to it maps back to the original. `seq` orders one key's
-- pieces (a long message is split over several posts); `position` orders the pieces that make
-- up one Discord message (a merged post holds several keys); `content` is the piece's text as
-- shown, so a merged post can be re-rendered without the piece that changed; `head` and `tail`
-- (the reply line and name before the text, the attachment links after it) re-render an edit;
-- `webhook_id` is the webhook that posted it (only that one may edit or delete it).
CREATE TABLE discord_relay_webhooks (
    application_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    webhook_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (application_id, channel_id)
);

CREATE TABLE discord_relay_copies (
    application_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    relay_key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    channel_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    head TEXT NOT NULL,
    tail TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (application_id, conversation_id, relay_key, seq)
);
CREATE INDEX discord_relay_copies_by_message ON discord_relay_copies (application_id, message_id);
""",
    ),
    AdapterMigration(
        4,
        """
-- The Guild Scheduled Event showing each calendar entry ("chat:<series id>") in a guild, so a
-- later publish edits it in place and "Interested" on it finds the entry again.
CREATE TABLE discord_calendar_events (
    application_id TEXT NOT NULL,
    guild_id TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (application_id, guild_id, entry_key)
);
CREATE INDEX discord_calendar_events_by_event ON discord_calendar_events (application_id, event_id);
""",
    ),
)

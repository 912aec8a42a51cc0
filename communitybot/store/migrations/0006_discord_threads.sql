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

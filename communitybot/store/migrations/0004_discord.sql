-- The Discord adapter's own state, keyed by application id: the hash of the command catalogue
-- last synced to Discord (so commands are re-registered only when the catalogue changed).
CREATE TABLE discord_state (
    application_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (application_id, key)
);

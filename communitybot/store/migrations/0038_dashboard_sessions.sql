-- Dashboard sessions in the database (issue #16), so a restart, or a standby that takes over on
-- PostgreSQL, keeps moderators signed in. Only the SHA-256 of the cookie's random value is kept:
-- a database dump never holds a cookie that opens a session. expires_at is fixed-width UTC text
-- (text order is time order); expired rows are deleted at each sign-in.
CREATE TABLE dashboard_sessions (
    id_hash TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions (expires_at);
-- `/forgetme` ends the person's sessions.
CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions (platform, user_id);

-- What a session opens: the communities its links were for, and the networks its person
-- stewarded when signing in. Rights are still checked against the live roles at every request;
-- a community or network whose rights were lost is deleted from here.
CREATE TABLE dashboard_session_scopes (
    id_hash TEXT NOT NULL REFERENCES dashboard_sessions (id_hash) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('community', 'network')),
    target_id INTEGER NOT NULL,
    PRIMARY KEY (id_hash, kind, target_id)
);

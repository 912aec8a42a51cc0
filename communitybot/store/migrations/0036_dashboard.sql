-- The web dashboard (issue #16). One row: the installation's secret that signs sign-in links
-- (HMAC-SHA256; never logged, never shown) and the public base URL the running dashboard
-- serves (NULL while it is off, so `dashboard` says so instead of handing out a dead link).
CREATE TABLE dashboard_installation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL,
    base_url TEXT,
    updated_at TEXT NOT NULL
);

-- Sign-in links already used: a link's nonce is inserted when it is opened, so it opens once.
-- expires_at lets old rows be deleted (a used link past its expiry is refused as expired anyway).
CREATE TABLE dashboard_used_links (
    nonce TEXT PRIMARY KEY,
    used_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

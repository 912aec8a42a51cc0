-- The web dashboard (issue #16). One row: the installation's secret that signs sign-in links
-- (HMAC-SHA256; never logged, never shown), made on the first start with the dashboard on.
CREATE TABLE dashboard_installation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Where each platform's dashboard is served now: written by the process that serves that
-- platform with the dashboard on, deleted when it stops or starts with the dashboard off, so
-- `dashboard` hands out a link only to a dashboard that can check that platform's moderators.
CREATE TABLE dashboard_urls (
    platform TEXT PRIMARY KEY,
    base_url TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Sign-in links already used: a link's nonce is inserted when it is opened, so it opens once.
-- expires_at lets old rows be deleted (a used link past its expiry is refused as expired anyway).
CREATE TABLE dashboard_used_links (
    nonce TEXT PRIMARY KEY,
    used_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

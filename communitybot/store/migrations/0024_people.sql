-- One person, many accounts (issue #14, account linking; communitybot/identity/).
-- people: a person who linked two or more accounts. A person of one account is dissolved.
-- person_accounts: which platform account belongs to which person; an account belongs to at
--   most one person (the primary key). Only platform ids: no credentials, no tokens.
-- link_codes: one-time codes from `link`, stored as the SHA-256 of the normalised code, never in
--   clear; the account that asked, the community it asked in, and when the code expires.
-- link_requests: a code typed from a second account, waiting for the first account's "yes"; one
--   per first account (a newer one replaces it), with its own expiry.
-- link_attempts: wrong codes typed, per account, for the limit of 5 an hour (never the code).
CREATE TABLE people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL
);
CREATE TABLE person_accounts (
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (platform, user_id)
);
CREATE INDEX person_accounts_person ON person_accounts (person_id);
CREATE TABLE link_codes (
    code_hash TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
);
CREATE INDEX link_codes_account ON link_codes (platform, user_id);
CREATE TABLE link_requests (
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    other_platform TEXT NOT NULL,
    other_user_id TEXT NOT NULL,
    other_name TEXT NOT NULL,
    other_community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (platform, user_id)
);
CREATE TABLE link_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    tried_at TEXT NOT NULL
);
CREATE INDEX link_attempts_account ON link_attempts (platform, user_id, tried_at);

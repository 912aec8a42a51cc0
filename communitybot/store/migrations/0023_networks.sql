-- Networks of affiliate communities (issue #14, first slice): a network, the communities that
-- are its affiliates (at most one network each), its stewards (members of an affiliate), the
-- one-time invite codes (only their sha256 is stored) and the wrong codes tried, which limit
-- how often a community may guess.
CREATE TABLE networks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A community leaving (or deleted) leaves the network; the network itself is deleted by the
-- code when its last affiliate leaves.
CREATE TABLE network_affiliates (
    community_id INTEGER PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    network_id INTEGER NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL
);
CREATE INDEX network_affiliates_by_network ON network_affiliates (network_id);

-- A steward is one membership (a member of an affiliate); /forgetme deletes the member and so
-- the role.
CREATE TABLE network_stewards (
    network_id INTEGER NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    PRIMARY KEY (network_id, member_id)
);
CREATE INDEX network_stewards_by_member ON network_stewards (member_id);

-- One-time invite codes: the sha256 (hex) of the normalised code, never the code itself.
CREATE TABLE network_invites (
    id INTEGER PRIMARY KEY,
    network_id INTEGER NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by_community INTEGER REFERENCES communities (id) ON DELETE SET NULL
);
CREATE INDEX network_invites_by_network ON network_invites (network_id, expires_at);

-- Wrong codes tried with `network join`, per joining community (the code is not kept): at most
-- five an hour. Rows older than an hour are deleted when the community tries again.
CREATE TABLE network_join_failures (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    failed_at TEXT NOT NULL
);
CREATE INDEX network_join_failures_by_community ON network_join_failures (community_id, failed_at);

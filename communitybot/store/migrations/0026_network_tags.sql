-- One taxonomy for a network (issue #14): the network's tags, curated by its stewards, are the
-- source of truth; every affiliate keeps an ordinary tag row linked to each of them
-- (`tags.network_tag_id`), kept in step by the code in the same unit of work, so everything
-- that reads a community's tags (onboarding, /peers, mentoring, channel and role links) works
-- unchanged. A tag with no link is the affiliate's own (a local tag). Removing a network tag, or
-- the network, leaves the affiliates' copies as local tags (ON DELETE SET NULL).
CREATE TABLE network_tags (
    id INTEGER PRIMARY KEY,
    network_id INTEGER NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT 'topic',
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (network_id, name)
);

-- A name and an alias share one namespace per network, as per community.
CREATE TABLE network_tag_aliases (
    network_id INTEGER NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    network_tag_id INTEGER NOT NULL REFERENCES network_tags (id) ON DELETE CASCADE,
    PRIMARY KEY (network_id, alias)
);
CREATE INDEX network_tag_aliases_by_tag ON network_tag_aliases (network_tag_id);

ALTER TABLE tags ADD COLUMN network_tag_id INTEGER REFERENCES network_tags (id) ON DELETE SET NULL;
-- At most one copy of a network tag per affiliate (NULLs, the local tags, never collide).
CREATE UNIQUE INDEX tags_by_network_tag ON tags (network_tag_id, community_id);

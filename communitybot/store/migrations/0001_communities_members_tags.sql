-- Communities (a Discord guild, a Matrix space, the console) and their members; interest tags.
CREATE TABLE communities (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    space_id TEXT NOT NULL,
    welcome_channel TEXT,
    introductions_channel TEXT,
    modlog_channel TEXT,
    moderator_role TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (platform, space_id)
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT,
    timezone TEXT,
    wants_mentor INTEGER,
    offers_mentor INTEGER,
    intro TEXT,
    discoverable INTEGER NOT NULL DEFAULT 1,
    joined_at TEXT NOT NULL,
    left_at TEXT,
    UNIQUE (community_id, platform, user_id)
);
CREATE INDEX members_by_user ON members (platform, user_id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT 'topic',
    description TEXT NOT NULL DEFAULT '',
    channel_id TEXT,
    role_id TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (community_id, name)
);

CREATE TABLE tag_aliases (
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (community_id, alias)
);
CREATE INDEX tag_aliases_by_tag ON tag_aliases (tag_id);

CREATE TABLE member_tags (
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    source TEXT NOT NULL DEFAULT 'self',
    added_at TEXT NOT NULL,
    PRIMARY KEY (member_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX member_tags_by_tag ON member_tags (tag_id, member_id);

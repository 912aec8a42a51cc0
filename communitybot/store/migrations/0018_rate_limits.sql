-- Per-community rate limits moderators set with `limits` (issue #11, fairness under load).
-- NULL means "the default"; 0 means "no limit". The limiter's buckets live in memory only.
CREATE TABLE community_limits (
    community_id INTEGER PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    commands_per_minute INTEGER,
    posts_per_hour INTEGER
);

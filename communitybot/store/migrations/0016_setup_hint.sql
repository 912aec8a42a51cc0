-- When a moderator was told which channels to set up first: the hint after the first moderator
-- command in a community without a welcome or introductions channel is given once, ever.
ALTER TABLE communities ADD COLUMN setup_hint_at TEXT;

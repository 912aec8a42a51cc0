-- Discoverability scope (issue #14, "across the silo"): besides `discoverable` (found within
-- the member's own community), a member may choose to be found by the other affiliates of
-- their community's network too. It counts only while `discoverable` is 1; existing members
-- keep the community-only scope they had (0).
ALTER TABLE members ADD COLUMN network_visible INTEGER NOT NULL DEFAULT 0;

-- Problems of practice shared with the whole network (`ask … scope=network`, issue #14): the
-- ask is posted in every affiliate's welcome channel and members of any affiliate may follow it.
-- It is seen by the other affiliates only while its community is in the same network as theirs
-- (read through network_affiliates), so a community leaving takes its asks out at once.
ALTER TABLE asks ADD COLUMN network_shared INTEGER NOT NULL DEFAULT 0;

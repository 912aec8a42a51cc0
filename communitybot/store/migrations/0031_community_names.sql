-- A community's name as the other affiliates of its network see it (`setup name=…`): without
-- one, an affiliate is shown by its platform and server/space id.
ALTER TABLE communities ADD COLUMN name TEXT;

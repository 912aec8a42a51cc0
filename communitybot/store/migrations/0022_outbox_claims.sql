-- The outbox across several processes on one database (issue #13, communitybot/outbox.py).
-- platform: the platform whose process delivers the row (ChatPlatform.name: "discord",
--   "matrix", …). Rows from before this migration were written by a process that served one
--   platform only; they stay NULL, which every platform's process may deliver.
-- claimed_by / claimed_until: the process (Notifications.origin) delivering the row and until
--   when its claim holds (ISO time, like every time column). NULL: nobody holds it. A claim
--   whose time has passed is another process's to take: its owner died (at-least-once; the
--   platforms' idempotency keys keep a repeat from doubling).
-- No new index: the table holds only what is still owed, and claims walk it by id.
ALTER TABLE outbox ADD COLUMN platform TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;

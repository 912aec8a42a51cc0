-- Arrival order of a chat's messages (issue #13): posted_at has whole seconds, so ties were broken
-- by SQLite's rowid, which PostgreSQL lacks. seq numbers a run's messages 1, 2, 3 … as they are
-- recorded; transcripts order by (posted_at, seq, message_id) on both backends.
ALTER TABLE chat_run_messages ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;

-- Existing messages: their rank in the run by (posted_at, message_id) — portable, no rowid.
UPDATE chat_run_messages SET seq = (
    SELECT count(*) FROM chat_run_messages o
    WHERE o.run_id = chat_run_messages.run_id
      AND (o.posted_at < chat_run_messages.posted_at
           OR (o.posted_at = chat_run_messages.posted_at
               AND o.message_id <= chat_run_messages.message_id))
);

CREATE INDEX chat_run_messages_by_run_seq ON chat_run_messages (run_id, seq);

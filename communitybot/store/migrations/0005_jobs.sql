-- The durable scheduler's jobs: reminders and other work due at a moment in UTC. A row is never
-- deleted when it fires: its status turns to 'delivered' in the same transaction as the job's
-- effect, so the UNIQUE idempotency key doubles as the "already done" mark across restarts.
-- due_at is ISO-8601 UTC with microseconds (fixed width, so text order is time order).
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    due_at TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    idempotency_key TEXT NOT NULL UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'dropped', 'failed', 'cancelled')),
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);

-- Only pending jobs are ever looked up by time: a partial index keeps finished ones out of it.
CREATE INDEX jobs_pending_due ON jobs (due_at, id) WHERE status = 'pending';

-- Host tools (issue #15): a running chat's questions paused by a host (`chat pause|resume`).
-- paused_at: when the current pause began (NULL: not paused now); paused_seconds: the finished
-- pauses' total, by which the questions still to come and the chat's end moved; pauses: how many
-- pauses were started, which numbers the re-created jobs' idempotency keys (a finished job's key
-- is never scheduled again). One row per run, made by its first pause.
CREATE TABLE chat_run_pauses (
    run_id INTEGER PRIMARY KEY REFERENCES chat_runs (id) ON DELETE CASCADE,
    paused_at TEXT,
    paused_seconds INTEGER NOT NULL DEFAULT 0,
    pauses INTEGER NOT NULL DEFAULT 0
);

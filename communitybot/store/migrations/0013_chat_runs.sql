-- Running a chat: the questions loaded for a series' next chat, each chat that ran, and what was
-- said in it. A script is used by the next chat that starts (then removed); the run keeps its own
-- copy of the questions, so transcripts stay right after the script changes. One run per
-- occurrence (series, start): a restarted bot finds it and never opens a second thread.
-- /forgetme deletes a member's messages and exchanges (ON DELETE CASCADE).
CREATE TABLE chat_scripts (
    series_id INTEGER PRIMARY KEY REFERENCES chat_series (id) ON DELETE CASCADE,
    questions TEXT NOT NULL,
    set_by INTEGER REFERENCES members (id) ON DELETE SET NULL,
    set_at TEXT NOT NULL
);

-- questions: JSON [{"text": ..., "offset": minutes after the start}]; current_question: the last
-- question posted (0 before Q1); conversation_id: the thread (Discord) or the channel itself.
CREATE TABLE chat_runs (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES chat_series (id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    in_thread INTEGER NOT NULL,
    title TEXT NOT NULL,
    questions TEXT NOT NULL DEFAULT '[]',
    current_question INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ended')),
    UNIQUE (series_id, started_at)
);
-- The channel-message fast path: is anything running in this conversation?
CREATE INDEX chat_runs_live ON chat_runs (conversation_id) WHERE status = 'running';

-- question: the question the message belongs to (0: before the first one).
CREATE TABLE chat_run_messages (
    run_id INTEGER NOT NULL REFERENCES chat_runs (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    question INTEGER NOT NULL,
    text TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (run_id, message_id)
);
CREATE INDEX chat_run_messages_by_member ON chat_run_messages (member_id);

-- member_id replied to or mentioned other_id during the run (the recap reads both directions).
CREATE TABLE chat_run_exchanges (
    run_id INTEGER NOT NULL REFERENCES chat_runs (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    other_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, member_id, other_id)
);
CREATE INDEX chat_run_exchanges_by_member ON chat_run_exchanges (member_id);
CREATE INDEX chat_run_exchanges_by_other ON chat_run_exchanges (other_id);

-- The outbox: actions (messages, role changes) a committed event or job still owes the platform.
-- Written in the same transaction as the effect that produced them and deleted as soon as each
-- is delivered (or met a final refusal), so a row exists exactly while its action is owed; a
-- restart delivers what is left (communitybot/outbox.py). AUTOINCREMENT: an id is never reused,
-- because it also names the action on the platform (Matrix transaction ids).
-- action: JSON (communitybot/outbox_codec.py); modlog_channel: where delivery reports problems;
-- next_attempt_at: NULL while the first delivery is under way, else when to try again.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    modlog_channel TEXT,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT
);

-- The last question with choices the bot asked a member privately and still waits for (a
-- mentoring check-in, a peer-round "did you meet?"), so a typed "1" or "not yet" answers it on
-- platforms without buttons (Matrix, the console). One per member: a newer question replaces it.
CREATE TABLE open_prompts (
    member_id INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    custom_id TEXT NOT NULL,
    choices TEXT NOT NULL,
    asked_at TEXT NOT NULL
);

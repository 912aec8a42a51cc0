-- Introductions a member asked the bot for after `peers scope=network` (`introduce <number>`):
-- who asked to meet whom, and when. Read to limit how often (a few a day, one per person a
-- month) and exported with `mydata`; a member who is forgotten takes their rows along.
CREATE TABLE peer_introductions (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    target_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX peer_introductions_by_member ON peer_introductions (member_id, created_at);
CREATE INDEX peer_introductions_by_target ON peer_introductions (target_id);

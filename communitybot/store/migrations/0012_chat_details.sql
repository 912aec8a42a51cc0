-- Chat details moderators edit: a description, an optional role (Discord) or "room" (Matrix)
-- to ping at the start and with the last reminder, and the hosts who run each chat.
-- A host who leaves the community keeps their row (left_at on the member tells), so the
-- moderators can be told and a new host named; /forgetme deletes it with the member.
ALTER TABLE chat_series ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE chat_series ADD COLUMN ping_role TEXT;

CREATE TABLE chat_hosts (
    series_id INTEGER NOT NULL REFERENCES chat_series (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (series_id, member_id)
);
CREATE INDEX chat_hosts_by_member ON chat_hosts (member_id);

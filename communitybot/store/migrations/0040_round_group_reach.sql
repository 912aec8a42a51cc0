-- The stewards' network page at 100,000 members (issue #16): peer-round meetings per affiliate
-- and per month, and how many crossed affiliate lines, without grouping a year of seats.
--
-- A group whose seats all belong to one community keeps that community (`seat_community`); a
-- group whose seats span communities, or that has no seat left, keeps NULL: "ask its seats".
-- Most groups are within one community: those are counted per (community, month) in
-- `round_meeting_months`, a few rows a year; only the NULL groups (`round_groups_spread`) are
-- read seat by seat. Every meeting that crossed a line is among those, so "across affiliate
-- lines" stays exact for any set of affiliates (a community joining or leaving a network
-- changes nothing here).
--
-- Written with the seats (`store.rounds.add_groups`). A member forgotten while the only seat
-- left in a group takes it out of its count and turns it to NULL first (`store.members`). A
-- NULL is always exact, only slower. Nothing deletes a round or a community today; whatever
-- comes to must take its groups out of `round_meeting_months` too.
ALTER TABLE round_groups ADD COLUMN seat_community INTEGER
    REFERENCES communities (id) ON DELETE SET NULL;
UPDATE round_groups SET seat_community = (
    SELECT min(gm.community_id) FROM round_group_members gm WHERE gm.group_id = round_groups.id
) WHERE (
    SELECT min(gm.community_id) FROM round_group_members gm WHERE gm.group_id = round_groups.id
) = (
    SELECT max(gm.community_id) FROM round_group_members gm WHERE gm.group_id = round_groups.id
);
CREATE INDEX round_groups_spread ON round_groups (id, created_at) WHERE seat_community IS NULL;

-- Those groups' seats' communities, read from the index alone: 0039's index for the rounds page
-- (whether a group met or answered) with the seat's community added at the end; the rounds page
-- reads it as before.
DROP INDEX round_group_members_answers;
CREATE INDEX round_group_members_answers ON round_group_members (group_id, answer, community_id);

-- Groups within one community (`seat_community`), per month (YYYY-MM) of their introduction.
CREATE TABLE round_meeting_months (
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    month TEXT NOT NULL,
    meetings INTEGER NOT NULL,
    PRIMARY KEY (community_id, month)
);
INSERT INTO round_meeting_months (community_id, month, meetings)
    SELECT seat_community, substr(created_at, 1, 7), count(*) FROM round_groups
    WHERE seat_community IS NOT NULL GROUP BY seat_community, substr(created_at, 1, 7);

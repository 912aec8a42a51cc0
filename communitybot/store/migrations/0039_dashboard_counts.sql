-- Indexes for the dashboard at 100,000 members (issue #16): the tags, rounds and network pages.

-- Members by community and presence, with the two flags the network page counts. The network
-- page's members per affiliate (present, discoverable, findable across the network:
-- `store.networks.affiliate_counts`) read every member row, intros and all, and now read this
-- index alone; the tags page finds the members who have left (a tenth) as one range of it,
-- without reading the present ones.
CREATE INDEX members_present ON members (community_id, left_at, discoverable, network_visible);

-- The tags page counts, per tag, the present members who have it and the taggings of the
-- last 8 weeks. Counting through the members (members by community, then each one's tags)
-- read all 600,000 taggings with a lookup each: ~300 ms. Instead: every tagging of a tag from
-- `member_tags_by_tag` (an index count), minus those of members who have left (above), and
-- each tag's recent taggings from a range of this index.
CREATE INDEX member_tags_by_tag_added ON member_tags (tag_id, added_at);

-- The stewards' network page counts peer-round meetings per affiliate and across affiliate
-- lines: from each seat to its member's community. Looking 150,000 seats' members up took a
-- second; a seat now keeps its member's community (a membership never changes community, and
-- the seat goes with the member: the member's cascade), so those counts read this index alone.
ALTER TABLE round_group_members ADD COLUMN community_id INTEGER
    REFERENCES communities (id) ON DELETE CASCADE;
UPDATE round_group_members SET community_id = (
    SELECT m.community_id FROM members m WHERE m.id = round_group_members.member_id
);
CREATE INDEX round_group_members_by_community ON round_group_members (community_id, group_id);

-- The rounds page asks of each group of a page of rounds whether anyone answered, and whether
-- anyone said they met: with the answer in the index that is one probe per group instead of
-- reading its seats' rows (a year of weekly rounds of 3,000 members is 150,000 seats).
CREATE INDEX round_group_members_answers ON round_group_members (group_id, answer);

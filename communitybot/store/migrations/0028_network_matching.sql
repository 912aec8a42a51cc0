-- Mentor matching across a network (issue #14): the stewards' setting for network rounds.
-- prefer_outside (default on): a pair whose mentee and mentor are in different affiliates scores
-- higher ("someone outside your school"). A network without a row has the defaults. Pairings
-- made across the network are ordinary mentor_pairs rows: community_id is the mentee's
-- community, and the mentor's follows from their member row.
CREATE TABLE network_mentoring_settings (
    network_id INTEGER PRIMARY KEY REFERENCES networks (id) ON DELETE CASCADE,
    prefer_outside INTEGER NOT NULL DEFAULT 1
);

-- Mentoring: what mentors offer, what mentees ask for, and the pairings made between them.
-- An offer or a request belongs to one member (their community follows from the member row);
-- deleting a member (/forgetme) deletes their offers, requests and pairings with them.
CREATE TABLE mentor_offers (
    member_id INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 5),
    note TEXT NOT NULL DEFAULT '',
    paused INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

CREATE TABLE mentor_offer_tags (
    member_id INTEGER NOT NULL REFERENCES mentor_offers (member_id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (member_id, tag_id)
);

-- A request stays 'open' until the member is paired (or withdraws it with /mentor end).
CREATE TABLE mentee_requests (
    member_id INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    goals TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'matched', 'closed')),
    updated_at TEXT NOT NULL
);

CREATE TABLE mentee_request_tags (
    member_id INTEGER NOT NULL REFERENCES mentee_requests (member_id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (member_id, tag_id)
);

-- One row per introduction. (mentor, mentee, round) is the idempotency key: running or
-- replaying a round never introduces the same pair twice. An ended pair is never proposed again.
CREATE TABLE mentor_pairs (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    mentor_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    mentee_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    round_key TEXT NOT NULL,
    score INTEGER NOT NULL DEFAULT 0,
    shared TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    created_at TEXT NOT NULL,
    ended_at TEXT,
    ended_by INTEGER,
    feedback TEXT,
    UNIQUE (mentor_id, mentee_id, round_key)
);

CREATE INDEX mentor_pairs_mentor ON mentor_pairs (mentor_id, status);
CREATE INDEX mentor_pairs_mentee ON mentor_pairs (mentee_id, status);

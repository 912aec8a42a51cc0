-- Network onboarding (issue #14): questions a network's stewards ask once per person, before
-- each affiliate's own questions, and the answers each membership holds.
-- network_questions: the same shape as onboarding_questions, per network (a new network has
--   none until a steward adds some or copies the defaults with `network questions defaults`).
-- network_answers: per membership, like onboarding_answers. A person joining a second
--   affiliate (the same account, or an account linked to it) gets the answers of their latest
--   membership copied, so each membership's answers go with its member row (`/forgetme`).
CREATE TABLE network_questions (
    id INTEGER PRIMARY KEY,
    network_id INTEGER NOT NULL REFERENCES networks (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('single', 'multi', 'text', 'yesno', 'timezone')),
    target TEXT NOT NULL DEFAULT 'none'
        CHECK (target IN ('none', 'role', 'tags', 'timezone', 'wants_mentor', 'offers_mentor', 'intro')),
    prompt TEXT NOT NULL,
    choices TEXT NOT NULL DEFAULT '[]',
    max_length INTEGER,
    tag_category TEXT,
    UNIQUE (network_id, key)
);

CREATE TABLE network_answers (
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES network_questions (id) ON DELETE CASCADE,
    value TEXT,
    skipped INTEGER NOT NULL DEFAULT 0,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (member_id, question_id)
);
CREATE INDEX network_answers_by_question ON network_answers (question_id);

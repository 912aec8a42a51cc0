-- Onboarding questions per community, each member's progress and answers, and pending
-- confirmations (e.g. /forgetme waiting for "yes").
CREATE TABLE onboarding_questions (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('single', 'multi', 'text', 'yesno', 'timezone')),
    target TEXT NOT NULL DEFAULT 'none'
        CHECK (target IN ('none', 'role', 'tags', 'timezone', 'wants_mentor', 'offers_mentor', 'intro')),
    prompt TEXT NOT NULL,
    choices TEXT NOT NULL DEFAULT '[]',
    max_length INTEGER,
    tag_category TEXT,
    UNIQUE (community_id, key)
);

CREATE TABLE onboarding_progress (
    member_id INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('active', 'awaiting_consent', 'completed')),
    started_at TEXT NOT NULL,
    completed_at TEXT
);

CREATE TABLE onboarding_answers (
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES onboarding_questions (id) ON DELETE CASCADE,
    value TEXT,
    skipped INTEGER NOT NULL DEFAULT 0,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (member_id, question_id)
);

CREATE TABLE pending_confirmations (
    member_id INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

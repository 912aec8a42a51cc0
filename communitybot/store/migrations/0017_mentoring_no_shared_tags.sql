-- Whether a mentoring round may pair a mentee with a mentor who shares none of their tags.
-- Off by default: such a mentee waits (and is told why) rather than being promised "someone who
-- shares your interests" and introduced to a stranger. A moderator's choice
-- (`/mentoring settings allow_no_shared_tags=on`).
ALTER TABLE mentoring_settings ADD COLUMN allow_no_shared_tags INTEGER NOT NULL DEFAULT 0;

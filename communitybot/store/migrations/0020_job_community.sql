-- Which community a job belongs to (issue #12), so the scheduler fires it under that community's
-- lane: a member's commands there keep their order with it, and another community's members
-- never wait for it beyond one writer turn. NULL: a job of no one community (or an old row whose
-- community is not known): it takes the writer turn only, as every job did before.
-- No foreign key: deleting a community must not scan a million pending jobs to null them; a job
-- whose community is gone finds nothing to do (its handler re-reads its rows).
ALTER TABLE jobs ADD COLUMN community_id INTEGER;

-- Pending jobs of the few-per-community kinds, filled from their keys (portable: equality or a
-- LIKE prefix built with ||). Reminders and follow-ups, which can be many, stay NULL: short
-- whole-transaction jobs that need no lane.
UPDATE jobs SET community_id = (
    SELECT a.community_id FROM asks a
    WHERE jobs.idempotency_key = 'ask-reminder:' || CAST(a.id AS TEXT)
) WHERE status = 'pending' AND kind = 'ask.reminder';

UPDATE jobs SET community_id = (
    SELECT s.community_id FROM chat_series s
    WHERE jobs.idempotency_key LIKE 'chat-start:' || CAST(s.id AS TEXT) || ':%'
) WHERE status = 'pending' AND kind = 'chat.start';

UPDATE jobs SET community_id = (
    SELECT r.community_id FROM chat_runs r
    WHERE jobs.idempotency_key = 'chat-end:' || CAST(r.id AS TEXT)
       OR jobs.idempotency_key LIKE 'chat-question:' || CAST(r.id AS TEXT) || ':%'
) WHERE status = 'pending' AND kind IN ('chat.end', 'chat.question');

UPDATE jobs SET community_id = (
    SELECT p.community_id FROM mentor_pairs p
    WHERE jobs.idempotency_key = 'mentoring.checkin:' || CAST(p.id AS TEXT)
       OR jobs.idempotency_key LIKE 'mentoring.checkin:' || CAST(p.id AS TEXT) || ':%'
) WHERE status = 'pending' AND kind = 'mentoring.checkin';

UPDATE jobs SET community_id = (
    SELECT c.id FROM communities c
    WHERE jobs.idempotency_key LIKE 'rounds.run:' || CAST(c.id AS TEXT) || ':%'
) WHERE status = 'pending' AND kind = 'rounds.run';

-- The stewards' network page (dashboard): a network's chats by start, so "network-chat exchanges
-- per month" reads that network's runs (and their exchanges by the primary key's run_id) instead
-- of every exchange in the database.
CREATE INDEX chat_runs_by_network ON chat_runs (network_id, started_at);

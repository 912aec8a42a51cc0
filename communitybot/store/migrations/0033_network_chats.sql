-- Network chats (issue #15): a series a steward creates for the whole network (network_id set;
-- it belongs to the steward's community), run by every affiliate in a room of its own
-- (chat_rooms; default: the affiliate's welcome channel). A network run (chat_runs.network_id)
-- has one leg per affiliate (chat_legs): the thread or room opened there, 'lost' once a relay to
-- it was refused (no more relays to it in that run). Messages of a network run are keyed by
-- their relay key ("discord:123"), with the leg they were said in (community_id) and whether
-- they stay there (kept_home: the author's `chat norelay`, or a bridged ghost).
ALTER TABLE chat_series ADD COLUMN network_id INTEGER REFERENCES networks (id) ON DELETE SET NULL;
ALTER TABLE chat_runs ADD COLUMN network_id INTEGER REFERENCES networks (id) ON DELETE SET NULL;
ALTER TABLE chat_run_messages ADD COLUMN community_id INTEGER REFERENCES communities (id) ON DELETE CASCADE;
ALTER TABLE chat_run_messages ADD COLUMN kept_home INTEGER NOT NULL DEFAULT 0;
CREATE INDEX chat_series_by_network ON chat_series (network_id) WHERE network_id IS NOT NULL;

CREATE TABLE chat_rooms (
    series_id INTEGER NOT NULL REFERENCES chat_series (id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (series_id, community_id)
);

CREATE TABLE chat_legs (
    run_id INTEGER NOT NULL REFERENCES chat_runs (id) ON DELETE CASCADE,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    in_thread INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'lost')),
    PRIMARY KEY (run_id, community_id)
);
-- The channel-message fast path of a leg: is a network chat running in this conversation?
CREATE INDEX chat_legs_by_conversation ON chat_legs (conversation_id);

-- `chat norelay`: the member's network-chat messages stay in their own affiliate's leg.
CREATE TABLE chat_norelay (
    member_id INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    set_at TEXT NOT NULL
);

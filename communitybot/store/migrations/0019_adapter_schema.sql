-- Each adapter's own schema version (its tables are named <adapter>_…, created by the adapter's
-- migrations in adapters/<adapter>/schema.py, never by the core's).
CREATE TABLE adapter_schema (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);

-- Tables the core's migrations 0003 (Matrix), 0004 and 0006 (Discord) created before adapters
-- had their own migrations: they become the adapters' versions 1 (and 2), rows kept as they are.
INSERT INTO adapter_schema (name, version)
SELECT 'matrix', 1 WHERE EXISTS (
    SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'matrix_state'
);

INSERT INTO adapter_schema (name, version)
SELECT 'discord', CASE WHEN EXISTS (
    SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'discord_fallback_threads'
) THEN 2 ELSE 1 END WHERE EXISTS (
    SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'discord_state'
);

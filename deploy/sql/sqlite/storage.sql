-- Orleans grain state on SQLite, for the embedded storage mode (grains.db).
--
-- Orleans' own ADO.NET grain storage provider (Microsoft.Orleans.Persistence.AdoNet, invariant
-- "System.Data.SQLite") runs this against Microsoft.Data.Sqlite. At start it reads its statements from
-- OrleansQuery (ReadFromStorageKey, WriteToStorageKey, ClearStorageKey; DeleteStorageKey is optional and
-- only needed with DeleteStateOnClear, which we do not use). It binds, by name:
--   GrainIdHash, GrainTypeHash (int), GrainIdN0, GrainIdN1 (long), GrainTypeString,
--   GrainIdExtensionString (text or NULL), ServiceId, GrainStateVersion (int or NULL: the grain's ETag),
--   PayloadBinary (blob, write only).
-- It expects: the read to return at most one row with PayloadBinary and Version; the write and the clear
-- to return one row holding the new version when they changed the row, and no row (or the old version)
-- when the version did not match, which it turns into an InconsistentStateException.
--
-- Re-runnable: every statement is IF NOT EXISTS or INSERT OR REPLACE.

-- WAL lets readers work while one writer writes; the setting is kept in the file.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

-- A NULL key extension is stored as '' so the unique key below treats it as one value
-- (SQLite considers NULLs distinct in a UNIQUE constraint).
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            INTEGER NOT NULL,
    GrainIdN0              INTEGER NOT NULL,
    GrainIdN1              INTEGER NOT NULL,
    GrainTypeHash          INTEGER NOT NULL,
    GrainTypeString        TEXT    NOT NULL,
    GrainIdExtensionString TEXT    NOT NULL,
    ServiceId              TEXT    NOT NULL,
    PayloadBinary          BLOB    NULL,
    ModifiedOn             TEXT    NOT NULL,
    Version                INTEGER NOT NULL,
    CONSTRAINT UQ_OrleansStorage UNIQUE
        (GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString)
);

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'ReadFromStorageKey',
    'SELECT PayloadBinary, Version
     FROM OrleansStorage
     WHERE GrainIdHash = @GrainIdHash
       AND GrainTypeHash = @GrainTypeHash
       AND ServiceId = @ServiceId
       AND GrainIdN0 = @GrainIdN0
       AND GrainIdN1 = @GrainIdN1
       AND GrainTypeString = @GrainTypeString
       AND GrainIdExtensionString = IFNULL(@GrainIdExtensionString, '''');'
);

-- Optimistic concurrency: an existing row changes only when its Version equals the grain's ETag; a first
-- write (ETag NULL) only inserts. Exactly one of the two statements can return a row (the new Version);
-- a stale ETag, or a first write racing an existing row, returns none.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'WriteToStorageKey',
    'PRAGMA synchronous = NORMAL;
     UPDATE OrleansStorage
     SET PayloadBinary = @PayloadBinary,
         ModifiedOn = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now''),
         Version = Version + 1
     WHERE GrainIdHash = @GrainIdHash
       AND GrainTypeHash = @GrainTypeHash
       AND ServiceId = @ServiceId
       AND GrainIdN0 = @GrainIdN0
       AND GrainIdN1 = @GrainIdN1
       AND GrainTypeString = @GrainTypeString
       AND GrainIdExtensionString = IFNULL(@GrainIdExtensionString, '''')
       AND Version = @GrainStateVersion
     RETURNING Version AS NewGrainStateVersion;
     INSERT INTO OrleansStorage
         (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString,
          ServiceId, PayloadBinary, ModifiedOn, Version)
     SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
            IFNULL(@GrainIdExtensionString, ''''), @ServiceId, @PayloadBinary,
            strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now''), 1
     WHERE @GrainStateVersion IS NULL
     ON CONFLICT DO NOTHING
     RETURNING Version AS NewGrainStateVersion;'
);

-- Clearing keeps the row with an empty payload and a new Version, so a later write with the returned
-- ETag continues the version sequence and a stale one still fails.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'ClearStorageKey',
    'PRAGMA synchronous = NORMAL;
     UPDATE OrleansStorage
     SET PayloadBinary = NULL,
         ModifiedOn = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now''),
         Version = Version + 1
     WHERE GrainIdHash = @GrainIdHash
       AND GrainTypeHash = @GrainTypeHash
       AND ServiceId = @ServiceId
       AND GrainIdN0 = @GrainIdN0
       AND GrainIdN1 = @GrainIdN1
       AND GrainTypeString = @GrainTypeString
       AND GrainIdExtensionString = IFNULL(@GrainIdExtensionString, '''')
       AND Version = @GrainStateVersion
     RETURNING Version;'
);

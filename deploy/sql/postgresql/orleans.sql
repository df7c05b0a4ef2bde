-- Orleans' ADO.NET clustering, grain storage and reminders on PostgreSQL (14 or newer), for the cluster
-- storage mode. Written by this project to the contract of Microsoft.Orleans.Clustering.AdoNet,
-- Persistence.AdoNet and Reminders.AdoNet 10.x (invariant "Npgsql"): each provider reads its statements
-- from OrleansQuery when it starts and binds its parameters by name (@Name); it reads result columns by name.
--
-- Applied by Autonomy.Hosting.PostgresSchema in one transaction with ledger.sql, or by an operator:
--   psql -v ON_ERROR_STOP=1 -f deploy/sql/postgresql/orleans.sql -f deploy/sql/postgresql/ledger.sql
-- Re-runnable: IF NOT EXISTS, CREATE OR REPLACE and upserts only. No BEGIN/COMMIT here, so the caller
-- chooses the transaction. The schema version is the number in the two autonomy_schema calls below.

-- Which version of each script a database holds; a script refuses to run over a newer version of itself.
CREATE TABLE IF NOT EXISTS autonomy_schema
(
    name       text        NOT NULL PRIMARY KEY,
    version    integer     NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION autonomy_schema_check(script_name text, script_version integer) RETURNS void
LANGUAGE plpgsql AS
$$
DECLARE
    recorded integer;
BEGIN
    SELECT version INTO recorded FROM autonomy_schema WHERE name = script_name;
    IF recorded > script_version THEN
        RAISE EXCEPTION 'The database holds % schema version %, newer than this script (version %); run the newer release.',
            script_name, recorded, script_version;
    END IF;
END
$$;

SELECT autonomy_schema_check('orleans', 1);

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  text NOT NULL PRIMARY KEY,
    QueryText text NOT NULL
);

------------------------------------------------------------------------------------------------------------
-- Clustering (membership). Times are UTC DateTimes, which Npgsql binds as timestamptz.
-- SiloStatus: 3 = Active, 6 = Dead. The table version is the ETag of every row: a write names the version
-- it read and succeeds only if the version is still that one, moving it on by one in the same transaction.
------------------------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId text        NOT NULL PRIMARY KEY,
    Timestamp    timestamptz NOT NULL DEFAULT now(),
    Version      integer     NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId text        NOT NULL REFERENCES OrleansMembershipVersionTable (DeploymentId),
    Address      text        NOT NULL,
    Port         integer     NOT NULL,
    Generation   integer     NOT NULL,
    SiloName     text        NOT NULL,
    HostName     text        NOT NULL,
    Status       integer     NOT NULL,
    ProxyPort    integer     NULL,
    SuspectTimes text        NULL,
    StartTime    timestamptz NOT NULL,
    IAmAliveTime timestamptz NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

-- Inserts a silo's row and moves the table version on, both or neither: 1 on success, 0 when the version
-- moved since the caller read it or the row already exists.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deployment_id text, p_address text, p_port integer, p_generation integer, p_silo_name text, p_host_name text,
    p_status integer, p_proxy_port integer, p_start_time timestamptz, p_i_am_alive_time timestamptz, p_expected_version integer)
RETURNS integer
LANGUAGE plpgsql AS
$$
BEGIN
    UPDATE OrleansMembershipVersionTable AS v
    SET Version = v.Version + 1, Timestamp = now()
    WHERE v.DeploymentId = p_deployment_id AND v.Version = p_expected_version;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    VALUES
        (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port, p_start_time, p_i_am_alive_time);
    RETURN 1;
EXCEPTION
    -- The block is a savepoint: leaving it here also undoes the version update above.
    WHEN unique_violation THEN
        RETURN 0;
END
$$;

-- Updates a silo's row and moves the table version on, both or neither: 1 on success, 0 otherwise.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deployment_id text, p_address text, p_port integer, p_generation integer, p_status integer,
    p_suspect_times text, p_i_am_alive_time timestamptz, p_expected_version integer)
RETURNS integer
LANGUAGE plpgsql AS
$$
BEGIN
    UPDATE OrleansMembershipVersionTable AS v
    SET Version = v.Version + 1, Timestamp = now()
    WHERE v.DeploymentId = p_deployment_id AND v.Version = p_expected_version;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE OrleansMembershipTable AS m
    SET Status = p_status,
        SuspectTimes = p_suspect_times,
        IAmAliveTime = GREATEST(m.IAmAliveTime, p_i_am_alive_time)
    WHERE m.DeploymentId = p_deployment_id AND m.Address = p_address AND m.Port = p_port AND m.Generation = p_generation;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no membership row' USING ERRCODE = 'no_data_found';
    END IF;
    RETURN 1;
EXCEPTION
    WHEN no_data_found THEN
        RETURN 0;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'InsertMembershipVersionKey',
    'WITH inserted AS (
         INSERT INTO OrleansMembershipVersionTable (DeploymentId)
         VALUES (@DeploymentId)
         ON CONFLICT (DeploymentId) DO NOTHING
         RETURNING 1)
     SELECT count(*)::integer FROM inserted;'
),
(
    'InsertMembershipKey',
    'SELECT orleans_membership_insert(
         @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
         @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version);'
),
(
    'UpdateMembershipKey',
    'SELECT orleans_membership_update(
         @DeploymentId, @Address, @Port, @Generation, @Status,
         @SuspectTimes, @IAmAliveTime, @Version);'
),
(
    -- Never moves the table version and never fails; a late heartbeat cannot move the time back.
    'UpdateIAmAlivetimeKey',
    'UPDATE OrleansMembershipTable
     SET IAmAliveTime = GREATEST(IAmAliveTime, @IAmAliveTime)
     WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;'
),
(
    -- The version row comes back even without a silo row (LEFT JOIN): the provider needs the version.
    'MembershipReadRowKey',
    'SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
            m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
     FROM OrleansMembershipVersionTable AS v
     LEFT JOIN OrleansMembershipTable AS m
         ON m.DeploymentId = v.DeploymentId
        AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
     WHERE v.DeploymentId = @DeploymentId;'
),
(
    'MembershipReadAllKey',
    'SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
            m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
     FROM OrleansMembershipVersionTable AS v
     LEFT JOIN OrleansMembershipTable AS m ON m.DeploymentId = v.DeploymentId
     WHERE v.DeploymentId = @DeploymentId;'
),
(
    'GatewaysQueryKey',
    'SELECT Address, ProxyPort, Generation
     FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;'
),
(
    'DeleteMembershipTableEntriesKey',
    'DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
     DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;'
),
(
    -- Required, but used only when CleanupDefunctSiloEntryKey is missing: dead silos not heard from since the cutoff.
    'CleanupDefunctSiloEntriesKey',
    'DELETE FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId AND Status = 6 AND IAmAliveTime < @IAmAliveTime;'
),
(
    -- Optional; when present the provider reads the table and deletes each defunct dead row by the values it
    -- saw, so a row that changed since (new suspicion, newer heartbeat) is kept.
    'CleanupDefunctSiloEntryKey',
    'DELETE FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation
       AND Status = 6 AND StartTime = @StartTime AND IAmAliveTime = @IAmAliveTime
       AND COALESCE(SuspectTimes, '''') = COALESCE(@SuspectTimes, '''');'
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

------------------------------------------------------------------------------------------------------------
-- Grain state. The provider binds GrainIdHash, GrainTypeHash (integer), GrainIdN0, GrainIdN1 (bigint),
-- GrainTypeString, GrainIdExtensionString (text or NULL), ServiceId, GrainStateVersion (integer or NULL: the
-- grain's ETag) and PayloadBinary (bytea, writes only). A write or clear returns one row with the new version
-- when it changed the row and no row when the ETag was stale, which the provider turns into an
-- InconsistentStateException. DeleteStorageKey is optional (only for DeleteStateOnClear) and not provided.
------------------------------------------------------------------------------------------------------------

-- A NULL key extension is stored as '' so that the unique key treats "no extension" as one value.
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            integer     NOT NULL,
    GrainTypeHash          integer     NOT NULL,
    ServiceId              text        NOT NULL,
    GrainIdN0              bigint      NOT NULL,
    GrainIdN1              bigint      NOT NULL,
    GrainTypeString        text        NOT NULL,
    GrainIdExtensionString text        NOT NULL,
    PayloadBinary          bytea       NULL,
    ModifiedOn             timestamptz NOT NULL DEFAULT now(),
    Version                integer     NOT NULL,
    CONSTRAINT UQ_OrleansStorage UNIQUE
        (GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'ReadFromStorageKey',
    'SELECT PayloadBinary, Version
     FROM OrleansStorage
     WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
       AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
       AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '''');'
),
(
    -- Optimistic concurrency: an existing row changes only when its Version equals the ETag; a first write
    -- (ETag NULL) only inserts. At most one branch returns a row. Two racing writers with the same ETag:
    -- the second UPDATE waits for the first, re-reads the row, finds the version moved and returns nothing;
    -- two racing first writes: ON CONFLICT leaves the second without a row.
    'WriteToStorageKey',
    'WITH updated AS (
         UPDATE OrleansStorage
         SET PayloadBinary = @PayloadBinary, ModifiedOn = now(), Version = Version + 1
         WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
           AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
           AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '''')
           AND Version = @GrainStateVersion
         RETURNING Version),
     inserted AS (
         INSERT INTO OrleansStorage
             (GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1, GrainTypeString,
              GrainIdExtensionString, PayloadBinary, Version)
         SELECT @GrainIdHash, @GrainTypeHash, @ServiceId, @GrainIdN0, @GrainIdN1, @GrainTypeString,
                COALESCE(@GrainIdExtensionString, ''''), @PayloadBinary, 1
         WHERE @GrainStateVersion IS NULL
         ON CONFLICT ON CONSTRAINT UQ_OrleansStorage DO NOTHING
         RETURNING Version)
     SELECT Version AS NewGrainStateVersion FROM updated
     UNION ALL
     SELECT Version FROM inserted;'
),
(
    -- Clearing keeps the row with no payload and a new version, so the version sequence continues and a
    -- stale ETag still fails afterwards.
    'ClearStorageKey',
    'UPDATE OrleansStorage
     SET PayloadBinary = NULL, ModifiedOn = now(), Version = Version + 1
     WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
       AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
       AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '''')
       AND Version = @GrainStateVersion
     RETURNING Version;'
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

------------------------------------------------------------------------------------------------------------
-- Reminders. GrainHash is GrainId.GetUniformHashCode() bound as a signed integer; the provider reads a ring
-- range (BeginHash, EndHash] with ReadRangeRows1Key when BeginHash < EndHash as signed values, and with
-- ReadRangeRows2Key (the range wraps around) otherwise. Period is milliseconds (integer or bigint),
-- StartTime a UTC DateTime. The ETag is Version, which changes on every upsert.
------------------------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    text        NOT NULL,
    GrainId      text        NOT NULL,
    ReminderName text        NOT NULL,
    StartTime    timestamptz NOT NULL,
    Period       bigint      NOT NULL,
    GrainHash    integer     NOT NULL,
    Version      integer     NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

-- Every silo reads its ring ranges periodically: an index range scan instead of a table scan.
CREATE INDEX IF NOT EXISTS IX_OrleansRemindersTable_ServiceId_GrainHash
    ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'UpsertReminderRowKey',
    'INSERT INTO OrleansRemindersTable AS r (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
     VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
     ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
     SET StartTime = EXCLUDED.StartTime, Period = EXCLUDED.Period, GrainHash = EXCLUDED.GrainHash,
         Version = r.Version + 1
     RETURNING Version;'
),
(
    'ReadReminderRowsKey',
    'SELECT GrainId, ReminderName, StartTime, Period, Version
     FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId AND GrainId = @GrainId;'
),
(
    'ReadReminderRowKey',
    'SELECT GrainId, ReminderName, StartTime, Period, Version
     FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName;'
),
(
    'ReadRangeRows1Key',
    'SELECT GrainId, ReminderName, StartTime, Period, Version
     FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId AND GrainHash > @BeginHash AND GrainHash <= @EndHash;'
),
(
    'ReadRangeRows2Key',
    'SELECT GrainId, ReminderName, StartTime, Period, Version
     FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);'
),
(
    -- One boolean column: whether the reminder with that ETag was removed.
    'DeleteReminderRowKey',
    'WITH deleted AS (
         DELETE FROM OrleansRemindersTable
         WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName
           AND Version = @Version
         RETURNING 1)
     SELECT count(*) > 0 FROM deleted;'
),
(
    'DeleteReminderRowsKey',
    'DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId;'
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO autonomy_schema (name, version) VALUES ('orleans', 1)
ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, applied_at = now();

-- The ledger of the cluster (PostgreSQL, 14 or newer) mode, read and written by Autonomy.Ledger.PostgresLedger.
-- The same columns and rules as deploy/sql/sqlite/ledger.sql.
--
-- Applied by Autonomy.Hosting.PostgresSchema in one transaction with orleans.sql, or by an operator:
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

SELECT autonomy_schema_check('ledger', 3);

-- position orders the whole ledger ("oldest first") and is never reused. Positions are taken at insert, not
-- at commit, so two silos committing at once may make a lower position visible just after a higher one. Pages
-- (and the checkpoint writer) therefore read in commit order: tx is the writing transaction's id, and a page
-- serves (tx, position) above its cursor and only tx below pg_snapshot_xmin(pg_current_snapshot()), the oldest
-- transaction still open, so nothing can commit behind a page already served. Export and verify read one snapshot.
-- UNIQUE (stream_id, seq) makes a fork impossible; its index serves reads by (stream_id, seq).
-- account_id is derived by the writer from stream ids of the form account/{tenant_id}/{account_id}.
-- at is the hashed text, UTC ISO-8601 with 7 fractional digits (timestamptz would keep only 6), compared
-- byte-wise (COLLATE "C") so text order is time order. payload is the exact JSON text that was hashed.
CREATE TABLE IF NOT EXISTS ledger_entries
(
    position   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id   text   NOT NULL UNIQUE,
    tenant_id  text   NOT NULL,
    stream_id  text   NOT NULL,
    seq        bigint NOT NULL CHECK (seq >= 1),
    run_id     text,
    account_id text,
    type       text   NOT NULL,
    at         text   COLLATE "C" NOT NULL,
    actor      text   NOT NULL,
    payload    text   NOT NULL,
    prev_hash  text   NOT NULL,
    hash       text   NOT NULL,
    tx         xid8   NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT ledger_entries_stream_seq UNIQUE (stream_id, seq)
);

-- Version 1 had no tx: its rows get 0 (all committed long ago, ordered by position among themselves) without
-- rewriting the table, and every later row the id of the transaction that wrote it.
ALTER TABLE ledger_entries ADD COLUMN IF NOT EXISTS tx xid8 NOT NULL DEFAULT '0'::xid8;
ALTER TABLE ledger_entries ALTER COLUMN tx SET DEFAULT pg_current_xact_id();

CREATE INDEX IF NOT EXISTS ix_ledger_entries_tenant_position ON ledger_entries (tenant_id, position);
DROP INDEX IF EXISTS ix_ledger_entries_tenant_run;
DROP INDEX IF EXISTS ix_ledger_entries_tenant_account;
CREATE INDEX IF NOT EXISTS ix_ledger_entries_tenant_tx ON ledger_entries (tenant_id, tx, position);
CREATE INDEX IF NOT EXISTS ix_ledger_entries_tenant_run_tx ON ledger_entries (tenant_id, run_id, tx, position);
CREATE INDEX IF NOT EXISTS ix_ledger_entries_tenant_account_tx ON ledger_entries (tenant_id, account_id, tx, position);

-- Append-only: the application never changes or removes an entry. Anyone who drops these triggers to
-- rewrite history is caught by verification, which recomputes every hash and link.
CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only' USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE OR REPLACE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE OR REPLACE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE OR REPLACE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

-- Signed checkpoints (LedgerCheckpoint): per tenant a chain of its own (seq 1, 2, ...; prev_hash links them),
-- each the heads of the streams that changed (heads: a JSON array of {streamId, seq, hash}, kept as text), the
-- Merkle root over all stream heads, and the signature by the checkpoint key named by key_id (ECDSA P-256 in
-- base64; HMAC-SHA256 in hex from earlier builds), a key that is never stored here. entry_cursor is where the writer read entries up to (its bookkeeping, not signed).
CREATE TABLE IF NOT EXISTS ledger_checkpoints
(
    position      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    checkpoint_id text   NOT NULL UNIQUE,
    tenant_id     text   NOT NULL,
    seq           bigint NOT NULL CHECK (seq >= 1),
    at            text   COLLATE "C" NOT NULL,
    heads         text   NOT NULL,
    stream_count  bigint NOT NULL,
    merkle_root   text   NOT NULL,
    prev_hash     text   NOT NULL,
    key_id        text   NOT NULL,
    hash          text   NOT NULL,
    signature     text   NOT NULL,
    entry_cursor  text,
    CONSTRAINT ledger_checkpoints_tenant_seq UNIQUE (tenant_id, seq)
);

CREATE OR REPLACE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE OR REPLACE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE OR REPLACE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

-- The heads the checkpoints recorded, one row per stream (the newest checkpoint's that recorded it): an index of
-- the checkpoint chain so that its writer keeps no per-stream state in memory. It changes with every checkpoint
-- (in the checkpoint's transaction) and is not trusted on its own: before each checkpoint the writer recomputes
-- its Merkle root and compares it with the last signed checkpoint's, and rebuilds it from the chain when they
-- differ (a ledger of schema version 2 is rebuilt that way once). COLLATE "C" orders stream ids by the bytes of
-- their UTF-8 text: the checkpoints' canonical stream order, served by the primary key's index.
CREATE TABLE IF NOT EXISTS ledger_checkpoint_heads
(
    tenant_id     text   NOT NULL,
    stream_id     text   COLLATE "C" NOT NULL,
    seq           bigint NOT NULL CHECK (seq >= 1),
    hash          text   NOT NULL,
    checkpoint_id text   NOT NULL,
    PRIMARY KEY (tenant_id, stream_id)
);

INSERT INTO autonomy_schema (name, version) VALUES ('ledger', 3)
ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, applied_at = now();

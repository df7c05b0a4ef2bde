-- The ledger of the embedded (SQLite) mode, run by SqliteLedger at start. Every statement is idempotent.
-- position orders the whole ledger (cursors, "oldest first") and is never reused (AUTOINCREMENT).
-- UNIQUE (stream_id, seq) makes a fork impossible; its automatic index serves reads by (stream_id, seq).
-- account_id is derived by the writer from stream ids of the form account/{tenant_id}/{account_id}.
-- at is UTC ISO-8601 with 7 fractional digits, so text order is time order.
CREATE TABLE IF NOT EXISTS ledger_entries (
    position   INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id   TEXT    NOT NULL UNIQUE,
    tenant_id  TEXT    NOT NULL,
    stream_id  TEXT    NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    run_id     TEXT,
    account_id TEXT,
    type       TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    UNIQUE (stream_id, seq)
);

CREATE INDEX IF NOT EXISTS ix_ledger_entries_tenant_position ON ledger_entries (tenant_id, position);
CREATE INDEX IF NOT EXISTS ix_ledger_entries_tenant_run ON ledger_entries (tenant_id, run_id, position);
-- No index by account: account_id is set only on the account's own stream (account/{tenant_id}/{account_id}), so an
-- account's page reads that stream through UNIQUE (stream_id, seq), in seq order, which within a stream is position
-- order. A second per-account index cost every append a random B-tree page of its own in the WAL; older files lose it.
DROP INDEX IF EXISTS ix_ledger_entries_tenant_account;

-- Append-only: the application never changes or removes an entry. Anyone who drops these triggers to
-- rewrite history is caught by verification, which recomputes every hash and link.
CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;

CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;

-- Signed checkpoints (LedgerCheckpoint): per tenant a chain of its own (seq 1, 2, ...; prev_hash links them),
-- each the heads of the streams that changed (heads: a JSON array of {streamId, seq, hash}), the Merkle root
-- over all stream heads, and the signature by the checkpoint key named by key_id (ECDSA P-256 in base64;
-- HMAC-SHA256 in hex from earlier builds), a key that is never stored here. entry_cursor is where the writer read entries up to (its bookkeeping, not signed).
-- Append-only like the entries. Added in place: an older ledger file gets the table on its next open.
CREATE TABLE IF NOT EXISTS ledger_checkpoints (
    position      INTEGER PRIMARY KEY AUTOINCREMENT,
    checkpoint_id TEXT    NOT NULL UNIQUE,
    tenant_id     TEXT    NOT NULL,
    seq           INTEGER NOT NULL CHECK (seq >= 1),
    at            TEXT    NOT NULL,
    heads         TEXT    NOT NULL,
    stream_count  INTEGER NOT NULL,
    merkle_root   TEXT    NOT NULL,
    prev_hash     TEXT    NOT NULL,
    key_id        TEXT    NOT NULL,
    hash          TEXT    NOT NULL,
    signature     TEXT    NOT NULL,
    entry_cursor  TEXT,
    UNIQUE (tenant_id, seq)
);

CREATE TRIGGER IF NOT EXISTS ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger_checkpoints is append-only');
END;

CREATE TRIGGER IF NOT EXISTS ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger_checkpoints is append-only');
END;

-- The heads the checkpoints recorded, one row per stream (the newest checkpoint's that recorded it): an index of
-- the checkpoint chain so that its writer keeps no per-stream state in memory. It changes with every checkpoint
-- (in the checkpoint's transaction) and is not trusted on its own: before each checkpoint the writer recomputes
-- its Merkle root and compares it with the last signed checkpoint's, and rebuilds it from the chain when they
-- differ (an older ledger file, which gets the table on its next open, is rebuilt that way once).
-- The primary key's BINARY order is the byte order of the UTF-8 text: the checkpoints' canonical stream order.
CREATE TABLE IF NOT EXISTS ledger_checkpoint_heads (
    tenant_id     TEXT    NOT NULL,
    stream_id     TEXT    NOT NULL,
    seq           INTEGER NOT NULL CHECK (seq >= 1),
    hash          TEXT    NOT NULL,
    checkpoint_id TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, stream_id)
) WITHOUT ROWID;

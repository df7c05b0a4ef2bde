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
CREATE INDEX IF NOT EXISTS ix_ledger_entries_tenant_account ON ledger_entries (tenant_id, account_id, position);

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

using Microsoft.Data.Sqlite;

namespace Autonomy.Ledger;

/// <summary>The SQLite ledger schema; <c>deploy/sql/sqlite/ledger.sql</c> is the same text, kept equal by a test.</summary>
internal static class SqliteLedgerSchema
{
    public const string Ddl = """
        -- The ledger of the embedded (SQLite) mode. SqliteLedgerSchema.Ddl in src/Grains/Ledger holds the same
        -- text and runs it at start; a test keeps the two equal. Every statement is idempotent.
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

        """;

    // SQLite result codes that mean "the store cannot be used now" rather than "this data is wrong".
    private static readonly HashSet<int> UnavailableCodes =
    [
        3,  // SQLITE_PERM
        5,  // SQLITE_BUSY
        6,  // SQLITE_LOCKED
        7,  // SQLITE_NOMEM
        8,  // SQLITE_READONLY
        9,  // SQLITE_INTERRUPT
        10, // SQLITE_IOERR
        11, // SQLITE_CORRUPT
        13, // SQLITE_FULL
        14, // SQLITE_CANTOPEN
        15, // SQLITE_PROTOCOL
        23, // SQLITE_AUTH
        26, // SQLITE_NOTADB
    ];

    public const int ConstraintCode = 19;

    /// <summary>WAL (readers never block the writer), then the idempotent schema.</summary>
    public static void Apply(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
        command.CommandText = Ddl;
        command.ExecuteNonQuery();
    }

    public static bool IsUnavailable(SqliteException exception) => UnavailableCodes.Contains(exception.SqliteErrorCode);
}

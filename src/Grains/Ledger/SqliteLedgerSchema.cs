using Microsoft.Data.Sqlite;

namespace Autonomy.Ledger;

/// <summary>The SQLite ledger schema (<c>deploy/sql/sqlite/ledger.sql</c>) and what SQLite's error codes mean to the ledger.</summary>
internal static class SqliteLedgerSchema
{
    /// <summary>
    /// <c>deploy/sql/sqlite/ledger.sql</c>, copied next to the assembly under <c>sql/sqlite/</c> by
    /// Autonomy.Grains.csproj: the SQL text lives in that one file.
    /// </summary>
    public static string Ddl => ddl.Value;

    private static readonly Lazy<string> ddl = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "sql", "sqlite", "ledger.sql");
        return File.Exists(path)
            ? File.ReadAllText(path)
            : throw new LedgerUnavailableException($"The ledger schema script '{path}' is missing; Autonomy.Grains.csproj copies deploy/sql/sqlite/*.sql to sql/sqlite/ in the output folder.");
    });

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

using Microsoft.Data.Sqlite;

namespace Autonomy.Hosting;

/// <summary>How the embedded mode opens its SQLite files and applies their schema scripts.</summary>
internal static class SqliteDatabase
{
    /// <summary>
    /// Seconds a command keeps retrying while another connection holds the write lock: Microsoft.Data.Sqlite
    /// retries on SQLITE_BUSY until the command timeout, whose default is the connection's Default Timeout.
    /// </summary>
    private const int BusyTimeoutSeconds = 30;

    /// <summary>The connection string of one database file; connections are pooled, so opening one per call is cheap.</summary>
    public static string ConnectionString(string databasePath) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = BusyTimeoutSeconds,
        }.ToString();

    /// <summary>
    /// WAL with <c>synchronous = NORMAL</c>, as the ledger uses: a commit survives a crash of the process; only a
    /// power loss may take back the last commits before the next checkpoint. FULL would fsync every commit and cap
    /// the embedded mode at a few hundred writes a second.
    /// </summary>
    public static async Task UseWalDurabilityAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = NORMAL;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Runs <c>deploy/sql/sqlite/{scriptName}</c>, copied next to the assembly under <c>sql/sqlite/</c> by
    /// Autonomy.Grains.csproj, so the SQL text lives in that one file. The scripts are re-runnable.
    /// </summary>
    public static async Task ApplyScriptAsync(string connectionString, string scriptName, CancellationToken cancellationToken)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "sql", "sqlite", scriptName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The SQLite schema script '{path}' is missing; Autonomy.Grains.csproj copies deploy/sql/sqlite/*.sql to sql/sqlite/ in the output folder.",
                path);
        }

        var script = await File.ReadAllTextAsync(path, cancellationToken);
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = script;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

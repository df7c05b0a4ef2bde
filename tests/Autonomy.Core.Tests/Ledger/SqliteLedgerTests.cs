using Autonomy.Ledger;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Autonomy.Tests.Ledger;

public sealed class SqliteLedgerTests(ITestOutputHelper output) : LedgerStoreTests<SqliteLedger>(output)
{
    private readonly TempDirectory _directory = new();

    private string Path => _directory.File("ledger.db");

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    protected override SqliteLedger Open() => new(Path, Time);

    protected override SqliteLedger Open(LedgerCheckpointKeyring keys) => new(Path, Time) { CheckpointKeys = keys };

    // One process, one writer: concurrent appenders share the ledger's group committer.
    protected override bool OneWriterPerProcess => true;

    protected override SqliteLedger OpenUnreachable()
    {
        // A regular file where the ledger's directory should be: no user, root included, can create it.
        var blocker = _directory.File("not-a-directory");
        File.WriteAllText(blocker, "x");
        return new SqliteLedger(System.IO.Path.Combine(blocker, "ledger.db"), Time);
    }

    private protected override LedgerGroupCommitter CommitterOf(SqliteLedger ledger) => ledger.Committer;

    protected override async Task<int> ExecuteRawAsync(string sql, string entryId, bool dropGuards)
    {
        await using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = dropGuards
            ? "DROP TRIGGER IF EXISTS ledger_entries_no_update; DROP TRIGGER IF EXISTS ledger_entries_no_delete; "
              + "DROP TRIGGER IF EXISTS ledger_checkpoints_no_update; DROP TRIGGER IF EXISTS ledger_checkpoints_no_delete; " + sql
            : sql;
        command.Parameters.AddWithValue("@id", entryId);
        return await command.ExecuteNonQueryAsync();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Autonomy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found above " + AppContext.BaseDirectory);
    }
}

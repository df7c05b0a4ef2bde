using Autonomy.Hosting;
using Autonomy.Ledger;
using Autonomy.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace Autonomy.Tests.Ledger;

/// <summary>The ledger rules on PostgreSQL; each test has a database of its own with the schema applied.</summary>
public sealed class PostgresLedgerTests(ITestOutputHelper output) : LedgerStoreTests<PostgresLedger>(output)
{
    private PostgresDatabase _database = null!;

    public override async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        await PostgresSchema.ApplyAsync(_database.ConnectionString);
    }

    public override async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task MissingSchemaSurfacesLedgerUnavailableNamingTheScript()
    {
        await using var empty = await PostgresDatabase.CreateAsync();
        await using var ledger = new PostgresLedger(empty.ConnectionString, Time);

        var append = await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.AppendAsync([Chained("t1", "account/t1/a1", 1, LedgerHash.Genesis, "x")]));
        var read = await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ReadHeadAsync("account/t1/a1"));
        Assert.All([append, read], e => Assert.Contains("ledger.sql", e.Message, StringComparison.Ordinal));
    }

    protected override PostgresLedger Open() => new(_database.ConnectionString, Time);

    // Port 1 on the loopback: nothing listens, so the connection is refused at once.
    protected override PostgresLedger OpenUnreachable() =>
        new(new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Port = 1, Timeout = 5 }.ConnectionString, Time);

    private protected override LedgerGroupCommitter CommitterOf(PostgresLedger ledger) => ledger.Committer;

    protected override async Task<int> ExecuteRawAsync(string sql, string entryId, bool dropGuards)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(dropGuards ? "ALTER TABLE ledger_entries DISABLE TRIGGER USER; " + sql : sql, connection);
        command.Parameters.AddWithValue("id", entryId);
        return await command.ExecuteNonQueryAsync();
    }
}

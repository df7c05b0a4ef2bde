using Autonomy.Hosting;
using Autonomy.Tests.Support;
using Npgsql;

namespace Autonomy.Tests.Storage;

public sealed class PostgresSchemaTests : IAsyncLifetime
{
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task ConcurrentAppliesOnAnEmptyDatabaseSerializeAndRecordTheVersions()
    {
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresSchema.ApplyAsync(_database.ConnectionString))));
        await PostgresSchema.ApplyAsync(_database.ConnectionString);

        Assert.Equal([("ledger", 3), ("orleans", 1)], await VersionsAsync());
    }

    [Fact]
    public async Task OrleansScriptProvidesEveryQueryTheProvidersRead()
    {
        await PostgresSchema.ApplyAsync(_database.ConnectionString);

        var keys = await ListAsync("SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey", r => r.GetString(0));
        string[] required =
        [
            // Clustering (every key is required, CleanupDefunctSiloEntryKey is optional).
            "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
            "InsertMembershipKey", "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey",
            "UpdateIAmAlivetimeKey", "UpdateMembershipKey",
            // Grain storage.
            "ClearStorageKey", "ReadFromStorageKey", "WriteToStorageKey",
            // Reminders.
            "DeleteReminderRowKey", "DeleteReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
            "ReadReminderRowKey", "ReadReminderRowsKey", "UpsertReminderRowKey",
        ];
        Assert.Equal(required.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ADatabaseNewerThanTheCodeIsRefused()
    {
        await PostgresSchema.ApplyAsync(_database.ConnectionString);
        await ExecuteAsync("UPDATE autonomy_schema SET version = version + 1 WHERE name = 'ledger'");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSchema.ApplyAsync(_database.ConnectionString));
        Assert.Contains("'ledger' schema at version 4", refused.Message, StringComparison.Ordinal);
        Assert.Equal([("ledger", 4), ("orleans", 1)], await VersionsAsync());
    }

    [Fact]
    public async Task AnOlderDatabaseIsUpgradedAndTheScriptsAreRerunnable()
    {
        await PostgresSchema.ApplyAsync(_database.ConnectionString);
        await ExecuteAsync("UPDATE autonomy_schema SET version = 0");

        await PostgresSchema.ApplyAsync(_database.ConnectionString);

        Assert.Equal([("ledger", 3), ("orleans", 1)], await VersionsAsync());
    }

    [Fact]
    public async Task EachScriptStatesItsVersionOnce()
    {
        foreach (var file in PostgresSchema.ScriptFiles)
        {
            var script = await PostgresSchema.ReadScriptAsync(file, CancellationToken.None);
            // ledger.sql 2: the commit-order column (tx) and the checkpoint table; 3: the checkpoints' recorded heads.
            Assert.Equal(file == "ledger.sql" ? 3 : 1, script.Version);
            Assert.DoesNotContain("BEGIN;", script.Text, StringComparison.OrdinalIgnoreCase);
        }
    }

    private async Task<List<(string, int)>> VersionsAsync() =>
        await ListAsync("SELECT name, version FROM autonomy_schema ORDER BY name", r => (r.GetString(0), r.GetInt32(1)));

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<List<T>> ListAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}

using Autonomy.Hosting;
using Microsoft.Data.Sqlite;

namespace Autonomy.Tests.Storage;

public sealed class SqliteSchemaTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public SqliteSchemaTests() => Directory.CreateDirectory(_directory.Path);

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("storage.sql")]
    [InlineData("reminders.sql")]
    public async Task SchemaScriptAppliesTwiceAndLeavesWalMode(string script)
    {
        var connectionString = SqliteDatabase.ConnectionString(System.IO.Path.Combine(_directory.Path, "test.db"));

        await SqliteDatabase.ApplyScriptAsync(connectionString, script, CancellationToken.None);
        await SqliteDatabase.ApplyScriptAsync(connectionString, script, CancellationToken.None);

        Assert.Equal("wal", await ScalarAsync(connectionString, "PRAGMA journal_mode"));
    }

    [Fact]
    public async Task StorageScriptProvidesTheQueriesTheGrainStorageReads()
    {
        var connectionString = SqliteDatabase.ConnectionString(System.IO.Path.Combine(_directory.Path, "grains.db"));

        await SqliteDatabase.ApplyScriptAsync(connectionString, "storage.sql", CancellationToken.None);
        await SqliteDatabase.ApplyScriptAsync(connectionString, "storage.sql", CancellationToken.None);

        var keys = await ScalarAsync(connectionString, "SELECT group_concat(QueryKey, ',') FROM (SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey)");
        Assert.Equal("ClearStorageKey,ReadFromStorageKey,WriteToStorageKey", keys);
    }

    private static async Task<string?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string?)await command.ExecuteScalarAsync();
    }
}

using Autonomy.Hosting;
using Autonomy.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Autonomy.Tests.Storage;

/// <summary>Orleans' own ADO.NET clustering, grain storage and reminders work on deploy/sql/postgresql/orleans.sql.</summary>
public sealed class PostgresStorageTests : GrainStorageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private PostgresDatabase _database = null!;

    public override async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        await PostgresSchema.ApplyAsync(_database.ConnectionString);
    }

    public override async Task DisposeAsync() => await _database.DisposeAsync();

    protected override Task<InProcessTestCluster> StartClusterAsync() => PostgresCluster.StartAsync(_database.ConnectionString, silos: 2);

    [Fact]
    public async Task BothSilosAreActiveInTheMembershipTable()
    {
        await using var cluster = await StartClusterAsync();
        var clusterId = cluster.Options.ClusterId;
        await Eventually.UntilAsync(
            async () => await ScalarAsync<long>(
                "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @id AND Status = 3", ("id", clusterId)) == 2,
            Patience,
            "both silos are active in OrleansMembershipTable");

        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        await Eventually.UntilAsync(
            async () => (await management.GetHosts(onlyActive: true)).Count == 2,
            Patience,
            "each silo sees two active silos");
        Assert.True(await ScalarAsync<int>("SELECT Version FROM OrleansMembershipVersionTable WHERE DeploymentId = @id", ("id", clusterId)) >= 2);
    }

    [Fact]
    public async Task GrainStateRoundTripsThroughTheDatabase()
    {
        await using var cluster = await StartClusterAsync();
        var grain = cluster.Client.GetGrain<IStorageProbeGrain>("round-trip");
        await grain.SetValueAsync("kept");

        var stored = new GrainState<ProbeState>();
        await Storage(cluster).ReadStateAsync(StorageProbeGrain.StateName, grain.GetGrainId(), stored);
        Assert.True(stored.RecordExists);
        Assert.Equal("kept", stored.State?.Value);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM OrleansStorage WHERE PayloadBinary IS NOT NULL"));
    }

    [Fact]
    public async Task RegisteredReminderFires()
    {
        await using var cluster = await StartClusterAsync();
        var grain = cluster.Client.GetGrain<IStorageProbeGrain>("ticking");
        await grain.StartTickingAsync(dueTime: TimeSpan.FromSeconds(1), period: TimeSpan.FromSeconds(1));

        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM OrleansRemindersTable WHERE ReminderName = 'tick'"));
        await Eventually.UntilAsync(
            async () => (await grain.GetStateAsync()).Ticks > 0,
            Patience,
            "the reminder ticks");
    }

    [Fact]
    public async Task ReminderTableReadsRangesAndRemovesOnlyWithTheCurrentETag()
    {
        await using var cluster = await StartClusterAsync();
        var table = cluster.GetSiloServiceProvider().GetRequiredService<IReminderTable>();
        var grainId = GrainId.Create("autonomy.tests.reminders", "r1");
        var hash = grainId.GetUniformHashCode();
        var entry = new ReminderEntry { GrainId = grainId, ReminderName = "r", StartAt = new DateTime(2026, 11, 2, 9, 0, 0, DateTimeKind.Utc), Period = TimeSpan.FromMinutes(1) };

        var first = await table.UpsertRow(entry) ?? throw new InvalidOperationException("no ETag");
        var second = await table.UpsertRow(entry) ?? throw new InvalidOperationException("no ETag");
        Assert.NotEqual(first, second);
        Assert.Equal(second, (await table.ReadRow(grainId, "r"))?.ETag);
        Assert.Single((await table.ReadRows(grainId)).Reminders);
        // Ranges are (begin, end]; one with begin after end wraps around the ring.
        Assert.Single((await table.ReadRows(hash - 1, hash)).Reminders);
        Assert.Empty((await table.ReadRows(hash, hash + 1)).Reminders);
        Assert.Single((await table.ReadRows(hash + 1, hash)).Reminders);
        Assert.Empty((await table.ReadRows(hash, hash - 1)).Reminders);

        Assert.False(await table.RemoveRow(grainId, "r", first));
        Assert.True(await table.RemoveRow(grainId, "r", second));
        Assert.Empty((await table.ReadRows(grainId)).Reminders);
    }

    private async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}

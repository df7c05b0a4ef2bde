using Autonomy.Ledger;
using Autonomy.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Autonomy.Tests.Ledger;

/// <summary>The checkpoint writer grain: periodic while something was written, nothing while idle, one more on shutdown.</summary>
public sealed class LedgerCheckpointGrainTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static async Task<List<LedgerCheckpoint>> CheckpointsAsync(ILedger ledger, string tenantId)
    {
        var checkpoints = new List<LedgerCheckpoint>();
        await foreach (var checkpoint in ledger.ReadCheckpointsAsync(tenantId))
        {
            checkpoints.Add(checkpoint);
        }

        return checkpoints;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ATenantInUseIsCheckpointedPeriodicallyAndNotWhileIdle(bool postgres)
    {
        await using var database = postgres ? await PostgresDatabase.CreateAsync() : null;
        await using var cluster = await AutonomyCluster.StartAsync(
            _directory.Path, postgres: database?.ConnectionString, settings: new Dictionary<string, string?> { ["Autonomy:Ledger:CheckpointInterval"] = "00:00:00.200" });
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();

        await Eventually.UntilAsync(
            async () => (await cluster.Ledger.VerifyAsync(t.TenantId)) is { Ok: true, NotYetCheckpointed: null, Checkpoints: > 0 },
            TimeSpan.FromSeconds(30), "every entry of the tenant is covered by a checkpoint");
        var idle = (await CheckpointsAsync(cluster.Ledger, t.TenantId)).Count;

        // The timer is Orleans' (on real time, not the fake domain clock): wait for five of its ticks, each of which asks
        // the store what changed, instead of sleeping and hoping it ticked.
        var reads = cluster.Hooks.ChangedHeadReads.GetValueOrDefault(t.TenantId);
        await Eventually.UntilAsync(
            () => cluster.Hooks.ChangedHeadReads.GetValueOrDefault(t.TenantId) >= reads + 5, TimeSpan.FromSeconds(30), "five more ticks of the idle tenant's checkpoint timer");
        Assert.Equal(idle, (await CheckpointsAsync(cluster.Ledger, t.TenantId)).Count);

        await t.SignalAsync("another");
        await Eventually.UntilAsync(
            async () => (await CheckpointsAsync(cluster.Ledger, t.TenantId)).Count > idle, TimeSpan.FromSeconds(30), "a new signal is checkpointed");
        var witness = await cluster.Grains.GetGrain<ILedgerCheckpointGrain>(t.TenantId).GetWitnessAsync();
        var last = (await CheckpointsAsync(cluster.Ledger, t.TenantId))[^1];
        Assert.Equal(new LedgerCheckpointWitness(last.Seq, last.Hash), witness);
        Assert.True((await cluster.Ledger.VerifyAsync(t.TenantId, witness)).Ok);
    }

    [Fact]
    public async Task StoppingTheSiloWritesAFinalCheckpoint()
    {
        string tenantId;
        await using (var cluster = await AutonomyCluster.StartAsync(
            _directory.Path, settings: new Dictionary<string, string?> { ["Autonomy:Ledger:CheckpointInterval"] = "01:00:00" }))
        {
            var t = new Scenario(cluster);
            tenantId = t.TenantId;
            await t.SetUpAsync();
            await t.SignalAsync();
            await Eventually.UntilAsync(
                async () => (await cluster.Ledger.VerifyAsync(tenantId)).NotYetCheckpointed is not null, TimeSpan.FromSeconds(10), "entries are written");
            Assert.Empty(await CheckpointsAsync(cluster.Ledger, tenantId));
        }

        await using var ledger = new SqliteLedger(Path.Combine(_directory.Path, "ledger.db"), TimeProvider.System);
        var result = await ledger.VerifyAsync(tenantId);
        Assert.True(result.Ok, result.Problem);
        Assert.True(result.Checkpoints >= 1, "the silo's stop wrote a checkpoint");
        Assert.Null(result.NotYetCheckpointed);
    }

    [Fact]
    public async Task AfterATailIsCutTheGrainRefusesToCheckpointAndSaysWhy()
    {
        await using var cluster = await AutonomyCluster.StartAsync(_directory.Path);
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var grain = cluster.Grains.GetGrain<ILedgerCheckpointGrain>(t.TenantId);
        Assert.NotNull((await grain.CheckpointNowAsync()).Written);
        var stream = $"account/{t.TenantId}/{t.AccountId}";

        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory.Path, "ledger.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"DROP TRIGGER ledger_entries_no_delete; DELETE FROM ledger_entries WHERE stream_id = '{stream}' AND seq = (SELECT MAX(seq) FROM ledger_entries WHERE stream_id = '{stream}');";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        // The account, reactivated, writes on from the cut head: the checkpoint writer will not bless it.
        await cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.SignalAsync("after-the-cut");
        var refused = await grain.CheckpointNowAsync();
        Assert.Null(refused.Written);
        Assert.Equal(stream, refused.Truncation?.StreamId);
        Assert.Contains("tail was cut", refused.Refused, StringComparison.Ordinal);
        Assert.False((await cluster.Ledger.VerifyAsync(t.TenantId)).Ok);
    }

    [Fact]
    public async Task EachCheckpointIsAlsoPostedToTheTenantsAnchorWebhook()
    {
        await using var receiver = await Autonomy.Tests.Actions.WebhookReceiver.StartAsync(failFirstAttempt: true);
        await using var cluster = await AutonomyCluster.StartAsync(_directory.Path);
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.Tenant.SetCheckpointAnchorAsync(receiver.Url, Scenario.Admin);
        Assert.Equal(receiver.Url, await t.Tenant.GetCheckpointAnchorAsync());
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.ConfigChanged), e => e.Payload.Contains("checkpoint-anchor", StringComparison.Ordinal));
        await t.SignalAsync();

        var written = (await cluster.Grains.GetGrain<ILedgerCheckpointGrain>(t.TenantId).CheckpointNowAsync()).Written!;

        // The first attempt failed (503) and the webhook client's retry delivered it, under the same key.
        var (key, body) = Assert.Single(receiver.Received);
        Assert.Equal(written.CheckpointId, key);
        Assert.Equal(2, receiver.Attempts[written.CheckpointId]);
        var copy = LedgerCheckpointJson.ReadLine(System.Text.Json.JsonDocument.Parse(body!.ToJsonString()).RootElement);
        Assert.Equal(written, copy with { Heads = written.Heads });
        Assert.Equal(written.Heads.ToArray(), copy.Heads.ToArray());
        Assert.Equal(written.Hash, LedgerCheckpoints.ComputeHash(copy));
    }

    [Fact]
    public async Task AFailedAnchorDeliveryIsRetriedAndShowsInTheMetricAndTheReadinessCheck()
    {
        await using var receiver = await Autonomy.Tests.Actions.WebhookReceiver.StartAsync(failFirstAttempt: false);
        receiver.FailFirst = 2;
        var retried = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "autonomy.ledger.checkpoint_anchors")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var t = tags.ToArray();
            if (t.Contains(new KeyValuePair<string, object?>("retry", true)) && t.Contains(new KeyValuePair<string, object?>("succeeded", true)))
            {
                Interlocked.Add(ref retried, value);
            }
        });
        listener.Start();
        await using var cluster = await AutonomyCluster.StartAsync(_directory.Path, settings: new Dictionary<string, string?>
        {
            ["Autonomy:Ledger:CheckpointInterval"] = "00:00:00.200",
            ["Autonomy:Webhooks:MaxRetries"] = "0", // each delivery is one attempt: the writer's ticks retry it
        });
        var silo = cluster.Cluster.Silos.First().ServiceProvider;
        var health = silo.GetRequiredService<LedgerAnchorHealth>();
        var checks = silo.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>();
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.Tenant.SetCheckpointAnchorAsync(receiver.Url, Scenario.Admin);
        await t.SignalAsync();

        // The first delivery fails: the tenant is behind, and the readiness check says so (Degraded: the silo still serves).
        await Eventually.UntilAsync(() => Task.FromResult(health.Snapshot().Tenants > 0), TimeSpan.FromSeconds(30), "the failed delivery to be noticed");
        var report = await checks.CheckHealthAsync(c => c.Tags.Contains("ready"));
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, report.Entries[LedgerAnchorHealthCheck.Name].Status);

        // Later ticks retry it until it is delivered; then the tenant is caught up.
        await Eventually.UntilAsync(() => Task.FromResult(!receiver.Received.IsEmpty), TimeSpan.FromSeconds(30), "the checkpoint to be delivered on a retry");
        await Eventually.UntilAsync(() => Task.FromResult(health.Snapshot().Tenants == 0), TimeSpan.FromSeconds(30), "the tenant to be caught up");
        var (key, _) = receiver.Received.First();
        Assert.True(receiver.Attempts[key!] >= 3, $"attempts: {receiver.Attempts[key!]}");
        Assert.True(Interlocked.Read(ref retried) >= 1);
        Assert.Equal(
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy,
            (await checks.CheckHealthAsync(c => c.Tags.Contains("ready"))).Entries[LedgerAnchorHealthCheck.Name].Status);
    }

    public void Dispose() => _directory.Dispose();
}

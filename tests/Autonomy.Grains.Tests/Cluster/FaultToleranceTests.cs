using System.Diagnostics;
using Autonomy.Tests.Support;
using Xunit.Abstractions;

namespace Autonomy.Tests.Cluster;

/// <summary>Cluster mode on PostgreSQL: silos die and join under load, and nothing is lost, doubled or let through.</summary>
public sealed class FaultToleranceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private const int Accounts = 24;
    private const int Budget = 3;
    private readonly TempDirectory _directory = new();
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task KillingOneOfThreeSilosUnderLoadLosesNothingDoublesNothingAndHoldsTheKillSwitch()
    {
        await using var cluster = await AutonomyCluster.StartAsync(_directory.Path, silos: 3, postgres: _database.ConnectionString, configure: ClusterLoad.FastFailureDetection);
        var open = new ClusterLoad(cluster, "t-open-" + Guid.NewGuid().ToString("N")[..8], Accounts);
        var held = new ClusterLoad(cluster, "t-held-" + Guid.NewGuid().ToString("N")[..8], Accounts);
        await open.SetUpAsync(Budget, killSwitch: false);
        await held.SetUpAsync(Budget, killSwitch: true);

        using var stop = new CancellationTokenSource();
        var loads = new[] { open.RunAsync(12, stop.Token), held.RunAsync(4, stop.Token) };
        await Eventually.UntilAsync(() => open.Acknowledged.Count >= 500, Bound, "the load to get going");

        var victim = cluster.Cluster.Silos[^1];
        var killedAt = Stopwatch.StartNew();
        await cluster.Cluster.KillSiloAsync(victim);
        var before = open.Acknowledged.Count;
        await Eventually.UntilAsync(() => open.Acknowledged.Count >= before + 1000, Bound, "the load to go on after the kill");
        var recovered = killedAt.Elapsed;
        stop.Cancel();
        var results = await Task.WhenAll(loads);

        // Every account's reminder still ticks, on the survivors.
        cluster.Clock.Advance(TimeSpan.FromMinutes(5));
        var mark = cluster.Clock.GetUtcNow();
        for (var i = 0; i < Accounts; i++)
        {
            var account = open.Account(i).Account;
            await Eventually.UntilAsync(async () => (await account.GetAsync()).LastTickAt >= mark, Bound, $"acc-{i} ticks after the kill");
        }

        var ticksBack = killedAt.Elapsed;
        await open.AssertInvariantsAsync(Budget, killSwitch: false);
        await held.AssertInvariantsAsync(Budget, killSwitch: true);

        var (signals, elapsed) = results[0];
        output.WriteLine($"MEASURED three-silo fault: {signals + results[1].Signals} signals acknowledged in {elapsed.TotalSeconds:0.0} s ({(signals + results[1].Signals) / elapsed.TotalSeconds:0} signals/s through grain calls), {open.Approvals} approvals, {open.Failures + held.Failures} failed calls retried; load flowing again {recovered.TotalSeconds:0.0} s after the kill; every reminder ticking again {ticksBack.TotalSeconds:0.0} s after the kill.");
    }

    [Fact]
    public async Task AnAddedSiloJoinsTakesGrainsAndRemindersAndLosesNothing()
    {
        await using var cluster = await AutonomyCluster.StartAsync(_directory.Path, silos: 1, postgres: _database.ConnectionString, configure: ClusterLoad.FastFailureDetection);
        var load = new ClusterLoad(cluster, "t-grow-" + Guid.NewGuid().ToString("N")[..8], Accounts);
        await load.SetUpAsync(Budget, killSwitch: false);
        using (var first = new CancellationTokenSource())
        {
            var running = load.RunAsync(2, first.Token);
            await Eventually.UntilAsync(() => load.Acknowledged.Count >= 100, Bound, "the first load");
            first.Cancel();
            await running;
        }

        var pending = await PendingAsync(load);

        var joined = Stopwatch.StartNew();
        await cluster.Cluster.StartAdditionalSiloAsync();
        await cluster.Cluster.WaitForLivenessToStabilizeAsync();
        Assert.Equal(2, cluster.Cluster.GetActiveSilos().Count());

        // New activations land on both silos once the newcomer is in every silo's view of the cluster.
        await cluster.Cluster.WaitForClusterManifestToStabilizeAsync();
        var management = cluster.Grains.GetGrain<IManagementGrain>(0);
        var next = Accounts;
        await Eventually.UntilAsync(
            async () =>
            {
                for (var end = next + Accounts; next < end; next++)
                {
                    await load.Account(next).Account.UpsertAsync(new Autonomy.Accounts.AccountUpdate("seller-1", "CUSTOMER", null, null), Scenario.Admin);
                }

                var stats = await management.GetSimpleGrainStatistics();
                return stats.Where(s => s.GrainType.Contains("AccountGrain", StringComparison.Ordinal) && s.ActivationCount > 0).Select(s => s.SiloAddress).Distinct().Count() == 2;
            },
            TimeSpan.FromSeconds(60),
            "new account activations to land on the added silo");
        Assert.Equal(pending, await PendingAsync(load));

        using (var second = new CancellationTokenSource())
        {
            var running = load.RunAsync(2, second.Token);
            await Eventually.UntilAsync(() => load.Acknowledged.Count >= 200, Bound, "the load after the join");
            second.Cancel();
            await running;
        }

        cluster.Clock.Advance(TimeSpan.FromMinutes(5));
        var mark = cluster.Clock.GetUtcNow();
        for (var i = 0; i < Accounts; i++)
        {
            var account = load.Account(i).Account;
            await Eventually.UntilAsync(async () => (await account.GetAsync()).LastTickAt >= mark, Bound, $"acc-{i} ticks after the join");
        }

        await load.AssertInvariantsAsync(Budget, killSwitch: false);
        output.WriteLine($"MEASURED join: second silo active and every reminder ticking {joined.Elapsed.TotalSeconds:0.0} s after it started; {load.Acknowledged.Count} signals acknowledged.");
    }

    private static async Task<List<string>> PendingAsync(ClusterLoad load)
    {
        var ids = new List<string>();
        for (var i = 0; i < Accounts; i++)
        {
            ids.AddRange((await load.Account(i).Account.GetAsync()).PendingProposals.Select(p => p.ProposalId));
        }

        return [.. ids.Order(StringComparer.Ordinal)];
    }
}

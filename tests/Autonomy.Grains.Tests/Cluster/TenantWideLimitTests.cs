using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tenants;
using Autonomy.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Autonomy.Tests.Cluster;

/// <summary>A limit wider than one account is counted in one place: three silos never multiply it.</summary>
public sealed class TenantWideLimitTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task TheTenantsDailyDecisionRunBudgetHoldsAcrossThreeSilos()
    {
        await using var cluster = await AutonomyCluster.StartAsync(_directory.Path, silos: 3, postgres: _database.ConnectionString, configure: SpreadAccounts);
        await cluster.Cluster.WaitForLivenessToStabilizeAsync();
        await cluster.Cluster.WaitForClusterManifestToStabilizeAsync();
        var tenant = "t-runs-" + Guid.NewGuid().ToString("N")[..8];
        var first = new Scenario(cluster, tenant, "acc-0");
        await first.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await first.Tenant.SetCostBudgetAsync(new CostBudget(DecisionRunsPerDay: 10, EngineTokensPerDay: 1000, PullsPerDay: 1000), Scenario.Admin);

        // Thirty accounts, spread over the silos by placement, each asking for one run at the same moment.
        await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            var account = new Scenario(cluster, tenant, $"acc-{i}");
            await account.Account.UpsertAsync(new AccountUpdate("seller-1", "CUSTOMER", null, null), Scenario.Admin);
            await account.SignalAsync($"s-{i}");
        }));

        var hosts = await cluster.Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        Assert.True(hosts.Where(h => h.GrainType.Contains("AccountGrain", StringComparison.Ordinal)).Select(h => h.SiloAddress).Distinct().Count() > 1);

        var gates = (await first.LedgerAsync(type: LedgerTypes.CostGate))
            .Select(e => JsonDocument.Parse(e.Payload).RootElement).ToList();
        Assert.Equal(10, gates.Count(g => g.GetProperty("verdict").GetString() == "ALLOW"));
        Assert.Equal(20, gates.Count(g => g.GetProperty("reason").GetString() == "RUN_BUDGET_EXHAUSTED"));
        Assert.Equal(10, (await first.Tenant.GetAutonomyAsync()).DecisionRunsUsedToday);
    }

    [Fact]
    public async Task AConnectorsThrottleAndTheTenantsPullBudgetHoldAcrossThreeSilos()
    {
        await using var cluster = await AutonomyCluster.StartAsync(_directory.Path, silos: 3, postgres: _database.ConnectionString, configure: SpreadAccounts);
        await cluster.Cluster.WaitForLivenessToStabilizeAsync();
        await cluster.Cluster.WaitForClusterManifestToStabilizeAsync();
        var tenant = "t-pulls-" + Guid.NewGuid().ToString("N")[..8];
        var first = new Scenario(cluster, tenant, "acc-0");
        await first.Tenant.SetCostBudgetAsync(new CostBudget(DecisionRunsPerDay: 100, EngineTokensPerDay: 1000, PullsPerDay: 12), Scenario.Admin);
        var minutes = new Perception.PullBounds(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2));
        await cluster.Grains.GetGrain<ITenantConnectorsGrain>(tenant).PutConnectorAsync(
            new Autonomy.Connectors.ConnectorConfig("demo", Autonomy.Connectors.ConnectorKind.Synthetic, true, null, null, null, TimeSpan.FromSeconds(5), Autonomy.Connectors.ConnectorMapping.Default,
                new Perception.PullCadence(minutes, minutes, minutes), Perception.Throttle.PerMinute(burst: 8, perMinute: 1), 3, 0),
            keepSecret: false, Scenario.Admin);
        var accounts = Enumerable.Range(0, 30).Select(i => cluster.Grains.GetGrain<IAccountGrain>($"{tenant}/acc-{i}")).ToList();
        foreach (var account in accounts)
        {
            await account.UpsertAsync(new AccountUpdate("seller-1", "CUSTOMER", null, null), Scenario.Admin);
            await account.PullAsync();
        }

        // Every account due at once, spread over the silos by placement: the bucket holds 8, so 8 pulls happen.
        cluster.Clock.Advance(TimeSpan.FromMinutes(3));
        await Task.WhenAll(accounts.Select(a => a.PullAsync()));

        var hosts = await cluster.Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        Assert.True(hosts.Where(h => h.GrainType.Contains("AccountGrain", StringComparison.Ordinal)).Select(h => h.SiloAddress).Distinct().Count() > 1);
        await Eventually.UntilAsync(
            async () => (await first.LedgerAsync(type: LedgerTypes.PullCompleted)).Length + (await first.LedgerAsync(type: LedgerTypes.PullDeferred)).Length >= 30,
            TimeSpan.FromSeconds(30), "every due pull was decided");
        Assert.Equal(8, (await first.LedgerAsync(type: LedgerTypes.PullCompleted)).Length);
        Assert.Equal(22, (await first.LedgerAsync(type: LedgerTypes.PullDeferred)).Length);

        // A minute later the bucket has one more token; the budget of 12 is never passed however often they come back.
        for (var round = 0; round < 6; round++)
        {
            cluster.Clock.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAll(accounts.Select(a => a.PullAsync()));
        }

        // Six more tokens came (14 in all), but the budget stops at 12: the rest are skipped, never pulled.
        Assert.Equal(12, (await first.LedgerAsync(type: LedgerTypes.PullCompleted)).Length);
        Assert.NotEmpty(await first.LedgerAsync(type: LedgerTypes.PullSkipped));
        Assert.Equal(12, await cluster.Grains.GetGrain<Autonomy.Connectors.IPullCounterGrain>(tenant).GetUsedTodayAsync());
    }

    /// <summary>Random placement: the default (resource-optimized) may keep every account on the silo the test client talks to when the silos share one process.</summary>
    private static void SpreadAccounts(ISiloBuilder silo) => silo.Services.AddSingleton<PlacementStrategy, RandomPlacement>();
}

using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tenants;
using Autonomy.Tests.Storage;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Cluster;

/// <summary>A limit wider than one account is counted in one place: three silos never multiply it.</summary>
public sealed class TenantWideLimitTests : IAsyncLifetime
{
    private readonly TempDataDirectory directory = new();
    private PostgresDatabase database = null!;

    public async Task InitializeAsync() => database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        await database.DisposeAsync();
        directory.Dispose();
    }

    [Fact]
    public async Task TheTenantsDailyDecisionRunBudgetHoldsAcrossThreeSilos()
    {
        await using var cluster = await AutonomyCluster.StartAsync(directory.Path, silos: 3, postgres: database.ConnectionString);
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
}

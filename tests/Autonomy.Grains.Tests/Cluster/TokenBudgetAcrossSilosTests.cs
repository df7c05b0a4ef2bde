using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tenants;
using Autonomy.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Autonomy.Tests.Cluster;

/// <summary>The engine-token budget is counted in one place: concurrent runs on two silos never overshoot it.</summary>
public sealed class TokenBudgetAcrossSilosTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private PostgresDatabase _database = null!;
    private FakeChatServer _chat = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        _chat = await FakeChatServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _chat.DisposeAsync();
        await _database.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task ConcurrentRunsOnTwoSilosNeverSpendMoreTokensThanTheBudget()
    {
        // Random placement: the default (resource-optimized) may keep every account on the silo the test client
        // talks to when both silos share one process, and this test is about accounts on both.
        await using var cluster = await AutonomyCluster.StartAsync(_directory.Path, silos: 2, postgres: _database.ConnectionString,
            configure: silo => silo.Services.AddSingleton<PlacementStrategy, RandomPlacement>());

        // Both silos in every silo's view before the accounts are placed, so placement can spread them.
        await cluster.Cluster.WaitForLivenessToStabilizeAsync();
        await cluster.Cluster.WaitForClusterManifestToStabilizeAsync();
        var tenant = "t-tokens-" + Guid.NewGuid().ToString("N")[..8];
        var first = new Scenario(cluster, tenant, "acc-0");
        await first.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await first.Tenant.SetEngineAsync(new EngineSettings(EngineKind.Chat, EngineFallback.Defer, new ChatSettings(_chat.BaseUrl, FakeChatServer.Ok, "sk-x", 64, 0, 0)), Scenario.Admin);

        // Room for a few reservations at once (each one is the prompt's bytes plus the completion cap, well above the 150 used).
        const long perDay = 8_000;
        await first.Tenant.SetCostBudgetAsync(CostBudget.Default with { EngineTokensPerDay = perDay }, Scenario.Admin);

        // Forty accounts, spread over both silos by placement, each asking for a run at the same moment, in two waves.
        for (var wave = 0; wave < 2; wave++)
        {
            var w = wave;
            await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
            {
                var account = new Scenario(cluster, tenant, $"acc-{i}");
                await account.Account.UpsertAsync(new AccountUpdate("seller-1", "CUSTOMER", null, null), Scenario.Admin);
                await account.SignalAsync($"s-{w}-{i}");
            }));
        }

        var hosts = await cluster.Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        Assert.True(hosts.Where(h => h.GrainType.Contains("AccountGrain", StringComparison.Ordinal)).Select(h => h.SiloAddress).Distinct().Count() > 1);

        var gates = (await first.LedgerAsync(type: LedgerTypes.CostGate)).Select(e => JsonDocument.Parse(e.Payload).RootElement).ToList();
        var granted = gates.Where(g => g.GetProperty("tokens").GetProperty("granted").GetBoolean()).ToList();
        var refused = gates.Count(g => g.GetProperty("reason").GetString() == "TOKEN_BUDGET_EXHAUSTED");
        Assert.NotEmpty(granted);
        Assert.True(refused > 0, "the budget was contended");

        // At every grant, what was used and reserved stayed within the budget; and so did what the endpoint reported.
        Assert.All(granted, g => Assert.True(g.GetProperty("tokens").GetProperty("usedToday").GetInt64() <= perDay));
        var calls = (await first.LedgerAsync(type: LedgerTypes.EngineCalled)).Select(e => JsonDocument.Parse(e.Payload).RootElement).ToList();
        Assert.Equal(_chat.Requests.Count, calls.Count);
        Assert.True(calls.Sum(c => c.GetProperty("chargedTokens").GetInt64()) <= perDay);
        var used = await cluster.Grains.GetGrain<ITokenBudgetGrain>(tenant).GetUsedTodayAsync();
        Assert.Equal(calls.Sum(c => c.GetProperty("chargedTokens").GetInt64()), used);
        Assert.True(used <= perDay);
    }

    [Fact]
    public async Task TheCounterGrainGrantsNoMoreThanTheBudgetToManyCallersAtOnce()
    {
        await using var cluster = await AutonomyCluster.StartAsync(_directory.Path, silos: 2, postgres: _database.ConnectionString);
        var tenant = "t-counter-" + Guid.NewGuid().ToString("N")[..8];
        var counter = cluster.Grains.GetGrain<ITokenBudgetGrain>(tenant);
        const long perDay = 5_000;

        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            var r = await counter.ReserveAsync($"r-{i}", 100 + (i % 7), perDay);
            Assert.True(r.UsedToday <= perDay);
            if (r.Granted && i % 2 == 0)
            {
                var s = await counter.SettleAsync($"r-{i}", 40, perDay);
                Assert.True(s.Applied);
                return 40L;
            }

            return r.Granted ? r.Tokens : 0L;
        }));

        Assert.True(results.Sum() <= perDay);
        Assert.Equal(results.Sum(), await counter.GetUsedTodayAsync());
    }
}

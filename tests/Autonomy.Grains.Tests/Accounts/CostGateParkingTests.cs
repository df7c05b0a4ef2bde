using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tenants;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// A SKIP for low marginal value parks the window's signals instead of dropping them: nothing proposed, nothing
/// woken, and the next signal's run or the next ritual's run sees them; a duplicate is still dropped.
/// </summary>
public sealed class CostGateParkingTests(CostGateFixture fixture) : IClassFixture<CostGateFixture>
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;

    private static async Task<List<JsonElement>> PayloadsAsync(Scenario t, string type) =>
        [.. (await t.LedgerAsync(type: type)).Select(e => JsonDocument.Parse(e.Payload).RootElement)];

    private static async Task SignalAsync(Scenario t, string id, double value)
    {
        await t.Account.IngestSignalsAsync([new SignalInput(id, Scenario.Instant, null, value, null)], Scenario.Ingest);
        await t.Account.PollAsync();
    }

    private static IEnumerable<string?> IdsOf(JsonElement fired) => fired.GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("id").GetString());

    private async Task<Scenario> TenantAsync(double threshold)
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.Tenant.SetCostBudgetAsync(CostBudget.Default with { MinMarginalValue = threshold }, Scenario.Admin);
        return t;
    }

    [Fact]
    public async Task ALowValueSkipKeepsItsSignalsParkedAndTheNextSignalsRunSeesThemAll()
    {
        var t = await TenantAsync(threshold: 1.0);

        await SignalAsync(t, "low-1", 0.4);

        var skip = Assert.Single(await PayloadsAsync(t, LedgerTypes.CostGate));
        Assert.Equal(("SKIP", "LOW_MARGINAL_VALUE"), (skip.GetProperty("verdict").GetString(), skip.GetProperty("reason").GetString()));
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.DecisionProposed));
        Assert.Null((await t.Account.GetAsync()).PendingRunDueAt);

        // Polled again later, the parked window does not fire or run the gate again (no busy loop).
        _cluster.Clock.Advance(TimeSpan.FromHours(2));
        await t.Account.PollAsync();
        Assert.Single(await PayloadsAsync(t, LedgerTypes.CostGate));

        // A second signal re-opens it: the values add up (0.4 + 0.7 >= 1.0) and the run sees both signals.
        await SignalAsync(t, "more-2", 0.7);

        var gates = await PayloadsAsync(t, LedgerTypes.CostGate);
        Assert.Equal(["SKIP", "ALLOW"], gates.Select(g => g.GetProperty("verdict").GetString()));
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.DecisionProposed));
        var fired = (await PayloadsAsync(t, LedgerTypes.TriggerFired)).Last();
        Assert.Equal(["low-1", "more-2"], IdsOf(fired).Order());
    }

    [Fact]
    public async Task AParkedSignalIsTakenAlongByTheNextRitualsRun()
    {
        // A lone 0.4 signal is below 0.85; the next ritual (0.5 and up, the account never ran) with it is above.
        var t = await TenantAsync(threshold: 0.85);
        await SignalAsync(t, "low-1", 0.4);
        Assert.Equal("SKIP", Assert.Single(await PayloadsAsync(t, LedgerTypes.CostGate)).GetProperty("verdict").GetString());

        var ritualAt = (await t.Account.GetAsync()).NextRitualAt!.Value;
        _cluster.Clock.Advance(ritualAt + TimeSpan.FromMinutes(1) - _cluster.Clock.GetUtcNow());
        await Eventually.UntilAsync(
            async () => (await PayloadsAsync(t, LedgerTypes.TriggerFired)).Any(p => p.GetProperty("startedBySchedule").GetBoolean()),
            TimeSpan.FromSeconds(30),
            "the ritual's run");

        var ritual = (await PayloadsAsync(t, LedgerTypes.TriggerFired)).Single(p => p.GetProperty("startedBySchedule").GetBoolean());
        Assert.Contains("low-1", IdsOf(ritual));
        Assert.Equal(2, ritual.GetProperty("signalCount").GetInt32());
        Assert.Equal("ALLOW", (await PayloadsAsync(t, LedgerTypes.CostGate)).Last().GetProperty("verdict").GetString());
    }
}

using Autonomy.Accounts;
using Autonomy.Ledger;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// What starts a decision run besides signals (lifecycle and posture changes), and how runs are counted.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DecisionRunTests(ClusterFixture fixture) : SidePathTests(fixture)
{
    [Fact]
    public async Task LifecycleAndPostureChangesAreTriggers()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.Tenant.SetPlaybookAsync(
            new Decisions.Playbook([
                new Decisions.PlaybookRule(Triggers.TriggerRegistry.LifecycleChanged, null, [Scenario.Proposal("CREATE_TASK", """{"title":"Welcome"}""", 0.9)]),
            ]),
            [],
            Scenario.Admin);

        await t.Account.UpsertAsync(new AccountUpdate(null, "RENEWAL", null, null), Scenario.Ingest);
        await t.Account.PollAsync();

        var fired = Assert.Single(await t.LedgerAsync(type: LedgerTypes.TriggerFired));
        Assert.Contains("LIFECYCLE_CHANGED", fired.Payload, StringComparison.Ordinal);
        Assert.Contains(await t.NeedsInputAsync(), p => p.ActionType == "CREATE_TASK");

        await t.Account.UpsertAsync(new AccountUpdate(null, null, """{"intent":0.9}""", null), Scenario.Ingest);
        Assert.NotNull((await t.Account.GetAsync()).PendingRunDueAt);
    }

    [Fact]
    public async Task EveryRunTheGateAllowsIsCountedOnceAgainstTheTenantsDailyRuns()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();

        await t.SignalAsync();
        await t.SignalAsync();

        Assert.Equal(2, (await t.Tenant.GetAutonomyAsync()).DecisionRunsUsedToday);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ScheduleOptInRevoked));
    }
}

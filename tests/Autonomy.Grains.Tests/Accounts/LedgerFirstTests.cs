using Autonomy.Accounts;
using Autonomy.Ledger;
using Autonomy.Policy;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// Nothing is executed, and nothing undone, before the steps that allow it are durable in the ledger.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LedgerFirstTests(ClusterFixture fixture) : SidePathTests(fixture)
{
    [Fact]
    public async Task NothingAutonomousExecutesBeforeItsStepsAreDurable()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        cluster.Hooks.LedgerRefuses[t.TenantId] = LedgerTypes.KillSwitchChecked;
        try
        {
            await t.Account.IngestSignalsAsync([new SignalInput("s-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
            await Record.ExceptionAsync(() => t.Account.PollAsync());
        }
        finally
        {
            cluster.Hooks.LedgerRefuses.TryRemove(t.TenantId, out _);
        }

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
    }

    [Fact]
    public async Task NoApprovedActionExecutesBeforeTheApprovalIsDurable()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var task = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");
        cluster.Hooks.LedgerRefuses[t.TenantId] = LedgerTypes.ProposalResolved;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor));
        }
        finally
        {
            cluster.Hooks.LedgerRefuses.TryRemove(t.TenantId, out _);
        }

        Assert.Empty((await t.Workspace.GetAsync()).Items);
    }

    [Fact]
    public async Task RevertIsLedgeredBeforeTheExecutorUndoesAnything()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.SignalAsync();
        var action = Assert.Single(await t.TimelineAsync());
        Assert.Equal(Outcomes.OutcomeV1.ExecutionSucceeded, action.Outcome);
        cluster.Hooks.LedgerRefuses[t.TenantId] = LedgerTypes.ActionRevertRequested;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => t.Account.RevertAsync(action.ActionId, Scenario.Admin));
        }
        finally
        {
            cluster.Hooks.LedgerRefuses.TryRemove(t.TenantId, out _);
        }

        Assert.False(Assert.Single((await t.Workspace.GetAsync()).Items).Reverted);

        var reverted = await t.Account.RevertAsync(action.ActionId, Scenario.Admin);
        Assert.Equal(ActionStatus.Reverted, reverted.Status);
        var steps = (await t.LedgerAsync()).Where(e => e.Type is LedgerTypes.ActionRevertRequested or LedgerTypes.ActionReverted).Select(e => e.Type);
        Assert.Equal([LedgerTypes.ActionRevertRequested, LedgerTypes.ActionReverted], steps);
    }
}

using Autonomy.Accounts;
using Autonomy.Ledger;
using Autonomy.Policy;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// An execution that fails or gets no answer: ledgered as such, settled once by recovery without costing the run
/// its other proposals, and never called again past a switch, a mode change or recovery's verdict.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ExecutionRecoveryTests(ClusterFixture fixture) : SidePathTests(fixture)
{
    [Fact]
    public async Task AnExecutionTheExecutorFailsIsLedgeredAsFailedNotAgainstTheIdea()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.Tenant.SetExecutorAsync(new Tenants.ExecutorSettings("http://127.0.0.1:1/hook", []), Scenario.Admin);
        await t.SignalAsync();
        var email = (await t.NeedsInputAsync()).Single(p => p.ActionType == "SEND_EMAIL");

        var action = await t.Account.ApproveAsync(email.ProposalId, email.ArgsDigest, t.SellerActor);

        Assert.Equal(ActionStatus.Failed, action.Status);
        Assert.Equal(Outcomes.OutcomeV1.ExecutionFailed, action.Outcome);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        var failed = Read<ActionResultPayload>(Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionFailed)));
        Assert.Equal(ActionStatus.Failed, failed.Action!.Status);
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.OutcomeRecorded), e => e.Payload.Contains("EXECUTION_FAILED", StringComparison.Ordinal));
        Assert.Equal(ActionStatus.Failed, Assert.Single(await t.TimelineAsync()).Status);
    }

    [Fact]
    public async Task AnExecutionWithoutAnswerKeepsTheRunsOtherProposalsAndIsSettledOnceLater()
    {
        var t = await RunWithASilentExecutorAsync();

        Assert.Contains(await t.NeedsInputAsync(), p => p.ActionType == "SEND_EMAIL");
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));

        await cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();

        var executed = Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        Assert.True(Read<ActionResultPayload>(executed).Recovered);
        Assert.Single((await t.Workspace.GetAsync()).Items);
        Assert.Single(await t.TimelineAsync(), a => a.Autonomous && a.ActionType == "CREATE_TASK");
        await cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
    }

    [Fact]
    public async Task RecoveryDoesNotCallAnExecutorAgainForATypeNoLongerAutonomous()
    {
        var t = await RunWithASilentExecutorAsync();

        await t.Tenant.SetModeAsync("CREATE_TASK", AutonomyModeV1.ApprovalRequired, Scenario.Admin);
        await cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked), e => Read<KillSwitchCheckedPayload>(e) is { Stopped: true, Policy.Reason: PolicyReason.ModeApprovalRequired });
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.ActionFailed), e => Read<ActionResultPayload>(e).Recovered == true);
    }

    [Fact]
    public async Task RecoveryDoesNotCallAnExecutorAgainPastAnEngagedSwitch()
    {
        var t = await RunWithASilentExecutorAsync();

        await t.Tenant.SetKillSwitchAsync("all", engaged: true, "incident", Scenario.Admin);
        await cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked), e => Read<KillSwitchCheckedPayload>(e).Stopped);
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.ActionFailed), e => Read<ActionResultPayload>(e).Recovered == true);
    }

    [Fact]
    public async Task ACallThatArrivesAfterRecoveryLedgeredThatNothingRanDoesNotRun()
    {
        var t = await RunWithAsync(cluster.Hooks.ExecutionCallLost);

        await cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();
        var failed = Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionFailed));
        Assert.Contains("nothing was executed", failed.Payload, StringComparison.Ordinal);

        // The lost call turns up late, as a delayed message would.
        var actionId = Read<ActionResultPayload>(failed).ActionId;
        var late = await cluster.Grains.GetGrain<Autonomy.Actions.IExecutionGrain>($"{t.TenantId}/{actionId}").ExecuteAsync(
            new Autonomy.Actions.ExecutionRequest(actionId, t.TenantId, t.AccountId, "CREATE_TASK", """{"title":"Prepare renewal"}""", failed.RunId!, true, null));

        Assert.False(late.Succeeded);
        Assert.Empty((await t.Workspace.GetAsync()).Items);
    }
}

using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Policy;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// Kill switches stop every path: checked again once the steps before an execution are durable and again in the
/// execution grain before its executor, unreadable switches count as engaged, a proposal they stopped waits for its
/// human, and a revert, which only undoes, goes through and records the switches it saw.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class KillSwitchTests(ClusterFixture fixture) : SidePathTests(fixture)
{
    [Fact]
    public async Task ASwitchEngagedWhileTheRunsStepsAreWrittenStopsTheAutonomousAction()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        cluster.Hooks.AfterAppend[t.TenantId] = EngageOnClearance(t);
        try
        {
            await t.SignalAsync();
        }
        finally
        {
            cluster.Hooks.AfterAppend.TryRemove(t.TenantId, out _);
        }

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked), e => Read<KillSwitchCheckedPayload>(e) is { Stopped: true, Moment: "after-ledger-flush" });
        Assert.Equal(PolicyReason.KillSwitch, (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK").Reason);
    }

    [Fact]
    public async Task ASwitchEngagedWhileAnApprovalIsWrittenStopsTheHumanAction()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var task = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");
        Assert.Equal("KILL_SWITCH_ENGAGED", await ApprovalRefusedAsync(t, task, EngageOnClearance(t)));

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Contains(await t.NeedsInputAsync(), p => p.ProposalId == task.ProposalId);
        var checks = (await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked)).Select(Read<KillSwitchCheckedPayload>).ToList();
        Assert.Equal(["before-ledger-flush", "after-ledger-flush"], checks.Select(c => c.Moment));
        Assert.Equal([false, true], checks.Select(c => c.Stopped));
    }

    [Fact]
    public async Task SwitchesThatCannotBeReadCountAsEngagedOnEveryPath()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        try
        {
            // The run reads its tenant; the switches become unreadable while the engine decides, before the clearance.
            await RunWhileTheEngineDecidesAsync(t, () =>
            {
                cluster.Hooks.SwitchesUnreadable[t.TenantId] = true;
                return Task.CompletedTask;
            });

            Assert.Empty((await t.Workspace.GetAsync()).Items);
            Assert.Equal(PolicyReason.KillSwitch, (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK").Reason);
            var check = Read<KillSwitchCheckedPayload>(Assert.Single(await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked)));
            Assert.Equal((true, KillSwitchState.Unknown, (long?)null), (check.Stopped, check.Switches, check.ConfigVersion));

            var email = (await t.NeedsInputAsync()).Single(p => p.ActionType == "SEND_EMAIL");
            var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(email.ProposalId, email.ArgsDigest, t.SellerActor));
            Assert.Equal("KILL_SWITCH_ENGAGED", error.Code);
        }
        finally
        {
            cluster.Hooks.SwitchesUnreadable.TryRemove(t.TenantId, out _);
        }

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
    }

    [Fact]
    public async Task ASwitchEngagedAfterTheClearanceStopsTheExecutionGrainBeforeItsExecutor()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        cluster.Hooks.BeforeExecute[t.TenantId] = () => t.Tenant.SetKillSwitchAsync("all", engaged: true, "engaged after the clearance", Scenario.Admin);

        await t.SignalAsync();

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        var stop = Read<KillSwitchCheckedPayload>(Assert.Single(await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked), e => Read<KillSwitchCheckedPayload>(e).Stopped));
        Assert.Equal(("before-executor", true), (stop.Moment, stop.Switches.Tenant));
        Assert.Equal(PolicyReason.KillSwitch, (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK").Reason);
        Assert.Equal(0, (await t.Account.GetAsync()).BudgetUse.Used);
        Assert.Null((await cluster.Grains.GetGrain<Autonomy.Actions.IExecutionGrain>($"{t.TenantId}/{stop.ActionId}").GetAsync()).Request);

        // Nothing is left in flight for recovery to call once the switch is released.
        await t.Tenant.SetKillSwitchAsync("all", engaged: false, "over", Scenario.Admin);
        await cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();
        Assert.Empty((await t.Workspace.GetAsync()).Items);
    }

    [Fact]
    public async Task AnApprovalStoppedInsideTheExecutionGrainRunsOnceWhenApprovedAgainAfterTheRelease()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var task = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");
        cluster.Hooks.BeforeExecute[t.TenantId] = () => t.Tenant.SetKillSwitchAsync("CREATE_TASK", engaged: true, "engaged after the clearance", Scenario.Admin);

        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor));

        Assert.Equal("KILL_SWITCH_ENGAGED", error.Code);
        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Contains(await t.NeedsInputAsync(), p => p.ProposalId == task.ProposalId);

        await t.Tenant.SetKillSwitchAsync("CREATE_TASK", engaged: false, "over", Scenario.Admin);
        var action = await t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor);
        Assert.Equal(ActionStatus.Succeeded, action.Status);
        Assert.Single((await t.Workspace.GetAsync()).Items);
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
    }

    [Fact]
    public async Task AProposalMadeDuringAnIncidentWaitsForItsHumanAndRunsWhenApprovedAfterTheRelease()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.Tenant.SetKillSwitchAsync("all", engaged: true, "incident", Scenario.Admin);
        await t.SignalAsync();
        var task = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");
        Assert.Equal((PolicyDecision.Block, PolicyReason.KillSwitch), (task.Decision, task.Reason));

        // While the switch is engaged: refused for now, and the proposal keeps waiting.
        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor));
        Assert.Equal("KILL_SWITCH_ENGAGED", error.Code);
        Assert.Contains(await t.NeedsInputAsync(), p => p.ProposalId == task.ProposalId);

        // Released: the human's approval re-runs the policy on today's configuration and the task runs once.
        await t.Tenant.SetKillSwitchAsync("all", engaged: false, "over", Scenario.Admin);
        var action = await t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor);
        Assert.Equal((ActionStatus.Succeeded, false), (action.Status, action.Autonomous));
        Assert.NotEqual(PolicyReason.KillSwitch, action.Reason);
        Assert.Single((await t.Workspace.GetAsync()).Items);
    }

    [Fact]
    public async Task AKillSwitchDoesNotBlockARevertWhoseRequestRecordsTheSwitchesItSaw()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.SignalAsync();
        var action = Assert.Single(await t.TimelineAsync());
        await t.Tenant.SetKillSwitchAsync("all", engaged: true, "incident", Scenario.Admin);

        var reverted = await t.Account.RevertAsync(action.ActionId, Scenario.Admin);

        Assert.Equal(ActionStatus.Reverted, reverted.Status);
        Assert.True(Assert.Single((await t.Workspace.GetAsync()).Items).Reverted);
        var requested = Read<ActionRevertPayload>(Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionRevertRequested)));
        Assert.True(requested.Switches!.Tenant);
    }
}

using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// The principles on the side paths: approvals re-run the policy, every path clears the kill switches after the
/// ledger flush, steps are durable before side effects, unreadable switches count as engaged, recovery never calls
/// an executor past a switch, and an execution without an answer does not cost the run its other proposals.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PrincipleTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster cluster = fixture.Cluster;

    [Fact]
    public async Task ApprovingAProposalWhoseTypeIsNowDisabledIsRefusedAndTheProposalLeavesTheQueue()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var task = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");

        await t.Tenant.SetModeAsync("CREATE_TASK", AutonomyModeV1.Disabled, Scenario.Admin);
        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor));

        Assert.Equal("ACTION_TYPE_DISABLED", error.Code);
        Assert.DoesNotContain(await t.NeedsInputAsync(), p => p.ProposalId == task.ProposalId);
        Assert.DoesNotContain((await t.Account.GetAsync()).PendingProposals, p => p.ProposalId == task.ProposalId);
        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.PolicyEvaluated), e => e.Payload.Contains("\"reevaluation\":true", StringComparison.Ordinal) && e.Payload.Contains("ACTION_TYPE_DISABLED", StringComparison.Ordinal));
        var resolved = Assert.Single(await t.LedgerAsync(type: LedgerTypes.ProposalResolved));
        Assert.Contains("\"resolution\":\"BLOCKED\"", resolved.Payload, StringComparison.Ordinal);
        var again = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor));
        Assert.Equal("PROPOSAL_RESOLVED", again.Code);
    }

    [Fact]
    public async Task ApprovingOnAnAccountNowInABlockedLifecycleIsRefused()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var email = (await t.NeedsInputAsync()).Single(p => p.ActionType == "SEND_EMAIL");

        await t.Account.UpsertAsync(new AccountUpdate(null, "DO_NOT_CONTACT", null, null), Scenario.Ingest);
        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(email.ProposalId, email.ArgsDigest, t.SellerActor));

        Assert.Equal("LIFECYCLE_STATE", error.Code);
        Assert.DoesNotContain(await t.NeedsInputAsync(), p => p.ProposalId == email.ProposalId);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
    }

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
    public async Task EveryRunTheGateAllowsIsCountedOnceAgainstTheTenantsDailyRuns()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();

        await t.SignalAsync();
        await t.SignalAsync();

        Assert.Equal(2, (await t.Tenant.GetAutonomyAsync()).DecisionRunsUsedToday);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ScheduleOptInRevoked));
    }

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

    [Theory]
    [InlineData(AutonomyModeV1.ApprovalRequired, PolicyReason.ModeApprovalRequired)]
    [InlineData(AutonomyModeV1.Disabled, PolicyReason.ActionTypeDisabled)]
    public async Task AModeChangedWhileTheEngineDecidesAppliesToTheAutonomousAction(AutonomyModeV1 mode, PolicyReason reason)
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await RunWhileTheEngineDecidesAsync(t, () => t.Tenant.SetModeAsync("CREATE_TASK", mode, Scenario.Admin));

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        var check = Read<KillSwitchCheckedPayload>(Assert.Single(await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked)));
        Assert.Equal((true, reason), (check.Stopped, check.Policy!.Reason));
        Assert.Equal(0, (await t.Account.GetAsync()).BudgetUse.Used);
        var waiting = (await t.NeedsInputAsync()).Where(p => p.ActionType == "CREATE_TASK").ToList();
        if (mode == AutonomyModeV1.Disabled)
        {
            Assert.Empty(waiting);
        }
        else
        {
            Assert.Equal((PolicyDecision.RequireApproval, reason), (Assert.Single(waiting).Decision, waiting[0].Reason));
        }
    }

    [Fact]
    public async Task ATypeDisabledWhileAnApprovalIsWrittenIsNotExecuted()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var task = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");
        Assert.Equal("ACTION_TYPE_DISABLED", await ApprovalRefusedAsync(t, task, OnClearance(() => t.Tenant.SetModeAsync("CREATE_TASK", AutonomyModeV1.Disabled, Scenario.Admin))));

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        var checks = (await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked)).Select(Read<KillSwitchCheckedPayload>).ToList();
        Assert.Equal([(false, "before-ledger-flush"), (true, "after-ledger-flush")], checks.Select(c => (c.Stopped, c.Moment)));
        Assert.Equal(PolicyReason.ActionTypeDisabled, checks[1].Policy!.Reason);

        // The next approval's recheck resolves it: it leaves the queue, BLOCKED.
        var again = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor));
        Assert.Equal("ACTION_TYPE_DISABLED", again.Code);
        Assert.DoesNotContain(await t.NeedsInputAsync(), p => p.ProposalId == task.ProposalId);
        Assert.Empty((await t.Workspace.GetAsync()).Items);
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

    [Fact]
    public async Task AnOwnerChangeMovesPendingProposalsToTheNewOwnerAndNoneIsStranded()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var waiting = await t.NeedsInputAsync();
        Assert.Equal(2, waiting.Length);

        await t.Account.UpsertAsync(new AccountUpdate("seller-2", null, null, null), Scenario.Admin);
        var newOwner = cluster.Grains.GetGrain<Sellers.ISellerGrain>($"{t.TenantId}/seller-2");

        Assert.Empty(await t.NeedsInputAsync());
        var moved = (await newOwner.GetNeedsInputAsync(100, null)).Items;
        Assert.Equal(waiting.Select(p => p.ProposalId).Order(), moved.Select(p => p.ProposalId).Order());
        Assert.All(moved, p => Assert.Equal("seller-2", p.SellerId));
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.ProposalsMoved));

        var task = moved.Single(p => p.ActionType == "CREATE_TASK");
        await t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, new Actor("seller-2", [Actor.Seller]));
        Assert.DoesNotContain((await newOwner.GetNeedsInputAsync(100, null)).Items, p => p.ProposalId == task.ProposalId);
        Assert.Single((await newOwner.GetTimelineAsync(100, null)).Items);
        await Assert.ThrowsAsync<ForbiddenException>(() => t.Account.RejectAsync(moved.Single(p => p.ActionType == "SEND_EMAIL").ProposalId, null, t.SellerActor));
    }

    [Fact]
    public async Task AnAccountWithoutOwnerKeepsItsProposalsOnTheAccountNotInASharedQueue()
    {
        var t = new Scenario(cluster, accountId: "orphan");
        await t.SetUpAsync();
        await t.Account.UpsertAsync(new AccountUpdate(null, "CUSTOMER", null, null), Scenario.Admin);
        var orphan = cluster.Grains.GetGrain<IAccountGrain>(Ids.AccountKey(t.TenantId, "orphan-2"));
        await orphan.UpsertAsync(new AccountUpdate(null, "CUSTOMER", null, null), Scenario.Admin);
        await orphan.IngestSignalsAsync([new SignalInput("o-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
        await orphan.PollAsync();

        Assert.Equal(2, (await orphan.GetAsync()).PendingProposals.Length);
        var unassigned = cluster.Grains.GetGrain<Sellers.ISellerGrain>($"{t.TenantId}/{AccountGrain.Unassigned}");
        Assert.Empty((await unassigned.GetNeedsInputAsync(100, null)).Items);

        await orphan.UpsertAsync(new AccountUpdate("seller-3", null, null, null), Scenario.Admin);
        var owner = cluster.Grains.GetGrain<Sellers.ISellerGrain>($"{t.TenantId}/seller-3");
        Assert.Equal(2, (await owner.GetNeedsInputAsync(100, null)).Items.Length);
    }

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

    /// <summary>A signal's run with <paramref name="change"/> made while the engine decides: after the run read its tenant, before the clearance.</summary>
    private async Task RunWhileTheEngineDecidesAsync(Scenario t, Func<Task> change)
    {
        var gate = cluster.Hooks.EngineGates[t.TenantId] = new EngineGate();
        try
        {
            await t.Account.IngestSignalsAsync([new SignalInput("s-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
            var run = t.Account.PollAsync();
            await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await change();
            gate.Release.SetResult();
            await run;
        }
        finally
        {
            cluster.Hooks.EngineGates.TryRemove(t.TenantId, out _);
        }
    }

    /// <summary>A run whose autonomous CREATE_TASK reaches an executor that never answers (its SEND_EMAIL needs a human).</summary>
    private Task<Scenario> RunWithASilentExecutorAsync() => RunWithAsync(cluster.Hooks.ExecutorSilent);

    /// <summary>A run whose autonomous CREATE_TASK meets <paramref name="fault"/>, set for the tenant during the run only.</summary>
    private async Task<Scenario> RunWithAsync(System.Collections.Concurrent.ConcurrentDictionary<string, bool> fault)
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        fault[t.TenantId] = true;
        try
        {
            await t.SignalAsync();
        }
        finally
        {
            fault.TryRemove(t.TenantId, out _);
        }

        return t;
    }

    /// <summary>Approves <paramref name="proposal"/> with <paramref name="afterAppend"/> hooked on the tenant's ledger writes; the refusal's code.</summary>
    private async Task<string> ApprovalRefusedAsync(Scenario t, ProposalView proposal, Func<IReadOnlyList<LedgerEntry>, Task> afterAppend)
    {
        cluster.Hooks.AfterAppend[t.TenantId] = afterAppend;
        try
        {
            return (await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(proposal.ProposalId, proposal.ArgsDigest, t.SellerActor))).Code;
        }
        finally
        {
            cluster.Hooks.AfterAppend.TryRemove(t.TenantId, out _);
        }
    }

    /// <summary>Engages the tenant's switch right after the account's first clearance ("no switch engaged") became durable.</summary>
    private static Func<IReadOnlyList<LedgerEntry>, Task> EngageOnClearance(Scenario t) =>
        OnClearance(() => t.Tenant.SetKillSwitchAsync("all", engaged: true, "engaged mid-flush", Scenario.Admin));

    /// <summary>Runs <paramref name="change"/> once, right after the account's first clearance ("cleared") became durable.</summary>
    private static Func<IReadOnlyList<LedgerEntry>, Task> OnClearance(Func<Task> change)
    {
        var done = 0;
        return async entries =>
        {
            if (entries.Any(e => e.Type == LedgerTypes.KillSwitchChecked && !Read<KillSwitchCheckedPayload>(e).Stopped) && Interlocked.Exchange(ref done, 1) == 0)
            {
                await change();
            }
        };
    }

    private static T Read<T>(LedgerEntry entry) => JsonSerializer.Deserialize<T>(entry.Payload, LedgerJson.Options)!;
}

/// <summary>Mode 4 holds continuously: an opt-in whose requirements stop holding is revoked, ledgered.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ModeFourRevocationTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster cluster = fixture.Cluster;

    [Fact]
    public async Task SwitchingTheOwnersDigestOffRevokesTheOptIn()
    {
        var t = await OptedInAsync();

        await t.Seller.SetDigestSettingsAsync(Sellers.DigestSettings.Default with { Enabled = false }, t.SellerActor);

        Assert.False((await t.Account.GetAsync()).AutonomousSchedules);
        Assert.DoesNotContain(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        var revoked = Assert.Single(await t.LedgerAsync(type: LedgerTypes.ScheduleOptInRevoked));
        Assert.Contains("OWNER_DIGEST_DISABLED", revoked.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangingTheOwnerRevokesTheOptIn()
    {
        var t = await OptedInAsync();

        await t.Account.UpsertAsync(new AccountUpdate("seller-9", null, null, null), Scenario.Admin);

        Assert.False((await t.Account.GetAsync()).AutonomousSchedules);
        Assert.DoesNotContain(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        Assert.Contains("OWNER_CHANGED", Assert.Single(await t.LedgerAsync(type: LedgerTypes.ScheduleOptInRevoked)).Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOptInSurvivesRunsThatASignalStarted()
    {
        var t = await OptedInAsync();

        await t.SignalAsync();

        Assert.True((await t.Account.GetAsync()).AutonomousSchedules);
        Assert.Contains(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ScheduleOptInRevoked));
    }

    [Fact]
    public async Task ARevocationCutShortLeavesTheRestListedAndTheNextActivationFinishesIt()
    {
        var t = await OptedInAsync();
        var second = new Scenario(cluster, t.TenantId, "acc-2");
        await second.Account.UpsertAsync(new AccountUpdate(t.SellerId, "CUSTOMER", null, null), Scenario.Admin);
        await second.Account.SetAutonomousSchedulesAsync(true, Scenario.Admin);
        cluster.Hooks.OptInRevocationsLost[t.TenantId] = 1;

        // The first revocation does not reach the tenant: the switch-off fails, and nothing it did not revoke is forgotten.
        await Assert.ThrowsAsync<TimeoutException>(() => t.Seller.SetDigestSettingsAsync(Sellers.DigestSettings.Default with { Enabled = false }, t.SellerActor));
        Assert.False((await t.Seller.GetDigestSettingsAsync()).Enabled);
        Assert.NotEmpty((await t.Tenant.GetAutonomyAsync()).OptedInAccounts);

        // The seller's next activation finishes the revocation.
        await cluster.Cluster.DeactivateAsync((IAddressable)t.Seller);
        await t.Seller.GetDigestSettingsAsync();
        await Eventually.UntilAsync(async () => (await t.Tenant.GetAutonomyAsync()).OptedInAccounts.IsEmpty, TimeSpan.FromSeconds(10), "the seller's next activation to finish the revocation");

        Assert.Empty((await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        Assert.False((await t.Account.GetAsync()).AutonomousSchedules);
        Assert.False((await second.Account.GetAsync()).AutonomousSchedules);
    }

    private async Task<Scenario> OptedInAsync()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.Seller.SetDigestSettingsAsync(Sellers.DigestSettings.Default with { Enabled = true }, t.SellerActor);
        await t.Account.SetAutonomousSchedulesAsync(true, Scenario.Admin);
        Assert.Contains(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        return t;
    }
}

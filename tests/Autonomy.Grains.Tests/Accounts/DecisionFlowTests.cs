using System.Collections.Immutable;
using Autonomy.Accounts;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Accounts;

public abstract class DecisionFlowTestsBase(AutonomyCluster cluster)
{
    private readonly AutonomyCluster _cluster = cluster;

    [Fact]
    public async Task AllowedLowRiskActionExecutesOnceLabelledAutonomousWithEveryStepLedgeredUnderOneRun()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));

        await t.SignalAsync();

        var timeline = await t.TimelineAsync();
        var action = Assert.Single(timeline);
        Assert.True(action.Autonomous);
        Assert.Equal("CREATE_TASK", action.ActionType);
        Assert.Equal(ActionStatus.Succeeded, action.Status);
        Assert.Equal(PolicyReason.AllowedByPolicy, action.Reason);
        Assert.Single((await t.Workspace.GetAsync()).Items);

        var run = await t.LedgerAsync(runId: action.RunId);
        var types = run.Select(e => e.Type).ToList();
        Assert.Equal(
            [LedgerTypes.TriggerFired, LedgerTypes.CostGate, LedgerTypes.DecisionProposed, LedgerTypes.ProposalsRanked, LedgerTypes.PolicyEvaluated, LedgerTypes.BudgetChecked,
             LedgerTypes.KillSwitchChecked, LedgerTypes.ActionExecuted, LedgerTypes.OutcomeRecorded, LedgerTypes.PolicyEvaluated],
            types);
        Assert.Single(run, e => e.Type == LedgerTypes.ActionExecuted);
        Assert.True((await _cluster.Ledger.VerifyAsync(t.TenantId)).Ok);
    }

    [Fact]
    public async Task ExternalContactActionWaitsInNeedsInputWithReasonAndExplanation()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute), ("SEND_EMAIL", AutonomyModeV1.AutoExecute));

        await t.SignalAsync();

        var proposal = Assert.Single(await t.NeedsInputAsync());
        Assert.Equal("SEND_EMAIL", proposal.ActionType);
        Assert.Equal(PolicyDecision.RequireApproval, proposal.Decision);
        Assert.Equal(PolicyReason.ExternalContact, proposal.Reason);
        Assert.Contains("outside", proposal.Explanation, StringComparison.Ordinal);
        Assert.Equal(AutoApprovalPolicyV1.Version, proposal.PolicyVersion);
        Assert.DoesNotContain(await t.TimelineAsync(), a => a.ActionType == "SEND_EMAIL");
    }

    [Fact]
    public async Task HighRiskActionNeverAutoExecutesEvenInAutoExecuteMode()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("APPLY_DISCOUNT", AutonomyModeV1.AutoExecute));
        await t.Tenant.SetPlaybookAsync(
            new Decisions.Playbook([new Decisions.PlaybookRule(Scenario.Instant, null, [Scenario.Proposal("APPLY_DISCOUNT", """{"percent":20}""", 0.99)])]),
            [Triggers.TriggerRegistry.Signal(Scenario.Instant, 0, 0, 0)],
            Scenario.Admin);

        await t.SignalAsync();

        Assert.Empty(await t.TimelineAsync());
        Assert.Equal(PolicyReason.RiskLevelHigh, Assert.Single(await t.NeedsInputAsync()).Reason);
    }

    [Fact]
    public async Task ApprovalWithAStaleDigestIsAConflictAndExecutesNothing()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var proposal = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");

        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(proposal.ProposalId, "sha256:stale", t.SellerActor));

        Assert.Equal("ARGS_DIGEST_MISMATCH", error.Code);
        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Contains(await t.NeedsInputAsync(), p => p.ProposalId == proposal.ProposalId);
    }

    [Fact]
    public async Task ApprovalExecutesThePayloadTheSellerSawOnce()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var proposal = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");

        var action = await t.Account.ApproveAsync(proposal.ProposalId, proposal.ArgsDigest, t.SellerActor);

        Assert.False(action.Autonomous);
        Assert.Equal(proposal.Parameters, action.Parameters);
        Assert.DoesNotContain(await t.NeedsInputAsync(), p => p.ProposalId == proposal.ProposalId);
        Assert.Equal(proposal.Parameters, Assert.Single((await t.Workspace.GetAsync()).Items).Parameters);
    }

    [Fact]
    public async Task EditExecutesTheEditedPayloadAsIdeaEdited()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var proposal = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");

        var action = await t.Account.EditAsync(proposal.ProposalId, proposal.ArgsDigest, """{"title":"Call the CFO","due":"friday"}""", t.SellerActor);

        Assert.Equal(Outcomes.OutcomeV1.IdeaEdited, action.Outcome);
        Assert.Equal("""{"due":"friday","title":"Call the CFO"}""", action.Parameters);
        Assert.Equal(action.Parameters, Assert.Single((await t.Workspace.GetAsync()).Items).Parameters);
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.OutcomeRecorded), e => e.Payload.Contains("IDEA_EDITED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnansweredProposalExpiresAsExpiredNeverAsRejected()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var proposal = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");

        _cluster.Clock.Advance(TimeSpan.FromHours(73));
        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(proposal.ProposalId, proposal.ArgsDigest, t.SellerActor));

        Assert.Equal("PROPOSAL_EXPIRED", error.Code);
        Assert.Empty((await t.Workspace.GetAsync()).Items);
        var outcomes = await t.LedgerAsync(type: LedgerTypes.OutcomeRecorded);
        Assert.Contains(outcomes, e => e.Payload.Contains("\"EXPIRED\"", StringComparison.Ordinal));
        Assert.DoesNotContain(outcomes, e => e.Payload.Contains("IDEA_REJECTED", StringComparison.Ordinal));
        Assert.DoesNotContain(await t.NeedsInputAsync(), p => p.ProposalId == proposal.ProposalId);
    }

    [Fact]
    public async Task ConcurrentDuplicateApprovalsExecuteOnce()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var proposal = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");

        var actions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => t.Account.ApproveAsync(proposal.ProposalId, proposal.ArgsDigest, t.SellerActor)));

        Assert.Single(actions.Select(a => a.ActionId).Distinct());
        Assert.Single((await t.Workspace.GetAsync()).Items);
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
    }

    [Fact]
    public async Task AnotherSellerMayNotApprove()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var proposal = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");

        await Assert.ThrowsAsync<ForbiddenException>(() => t.Account.ApproveAsync(proposal.ProposalId, proposal.ArgsDigest, new Actor("seller-2", [Actor.Seller])));
        Assert.Empty((await t.Workspace.GetAsync()).Items);
    }

    [Fact]
    public async Task AutonomyBudgetIsNeverExceededAndTheRestWaitForAHuman()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.Tenant.SetBudgetAsync(new AutonomyBudgetConfig(2, ImmutableDictionary<string, int>.Empty, null), Scenario.Admin);

        for (var i = 0; i < 5; i++)
        {
            await t.SignalAsync();
        }

        Assert.Equal(2, (await t.TimelineAsync()).Count(a => a.Autonomous));
        Assert.Equal(3, (await t.NeedsInputAsync()).Count(p => p.Reason == PolicyReason.BudgetExhausted));
        Assert.Equal(2, (await t.Account.GetAsync()).BudgetUse.Used);
    }

    [Fact]
    public async Task RevertUndoesAnAutonomousActionAndIsLedgered()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.SignalAsync();
        var action = Assert.Single(await t.TimelineAsync());

        var reverted = await t.Account.RevertAsync(action.ActionId, t.SellerActor);

        Assert.Equal(ActionStatus.Reverted, reverted.Status);
        Assert.True(Assert.Single((await t.Workspace.GetAsync()).Items).Reverted);
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionReverted));
        Assert.Equal(ActionStatus.Reverted, Assert.Single(await t.TimelineAsync()).Status);
    }

    [Fact]
    public async Task DuplicateSignalIdsChangeNothing()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));

        var first = await t.SignalAsync("s-1");
        var again = await t.SignalAsync("s-1");

        Assert.Equal((1, 0), (first.Accepted, first.Duplicates));
        Assert.Equal((0, 1), (again.Accepted, again.Duplicates));
        Assert.Single(await t.TimelineAsync());
    }
}

[Collection(ClusterCollection.Name)]
public sealed class DecisionFlowTests(ClusterFixture fixture) : DecisionFlowTestsBase(fixture.Cluster);

[Collection(PostgresClusterCollection.Name)]
public sealed class DecisionFlowTestsOnPostgres(PostgresClusterFixture fixture) : DecisionFlowTestsBase(fixture.Cluster);

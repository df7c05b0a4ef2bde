using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Policy;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// The policy runs again on the configuration of the moment: when a human approves, and at the clearance of an
/// autonomous action after the engine decided.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PolicyReRunTests(ClusterFixture fixture) : SidePathTests(fixture)
{
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
        Assert.Equal(PolicyReason.ActionTypeDisabled, checks[1].Policy?.Reason);

        // The next approval's recheck resolves it: it leaves the queue, BLOCKED.
        var again = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor));
        Assert.Equal("ACTION_TYPE_DISABLED", again.Code);
        Assert.DoesNotContain(await t.NeedsInputAsync(), p => p.ProposalId == task.ProposalId);
        Assert.Empty((await t.Workspace.GetAsync()).Items);
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
        Assert.Equal((true, reason), (check.Stopped, check.Policy?.Reason));
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
}

using System.Collections.Immutable;
using Autonomy.Common;
using Autonomy.Policy;
using CsCheck;

namespace Autonomy.Tests.Policy;

/// <summary>An approval re-runs the policy: nothing the policy now blocks executes because a human said yes.</summary>
public class HumanApprovalTests
{
    [Fact]
    public void ARecheckProceedsOnlyWhereThePolicyDoesNotBlockNow() =>
        Gen.Select(PolicyGen.Input, Gen.Enum<PolicyDecision>()).Sample((input, shown) =>
        {
            var check = HumanApproval.Recheck(shown, input);
            var now = AutoApprovalPolicyV1.Evaluate(input);

            Assert.Equal(now, check.Policy);
            var expected = shown == PolicyDecision.Block ? ApprovalVerdict.Suggestion
                : input.KillSwitches.Stops(input.ActionType) ? ApprovalVerdict.KillSwitch
                : now.Decision == PolicyDecision.Block ? ApprovalVerdict.Refused
                : ApprovalVerdict.Proceed;
            Assert.Equal(expected, check.Verdict);
        });

    [Theory]
    [InlineData(AutonomyModeV1.Disabled, "CUSTOMER", ApprovalVerdict.Refused, PolicyReason.ActionTypeDisabled)]
    [InlineData(AutonomyModeV1.ProposeOnly, "CUSTOMER", ApprovalVerdict.Refused, PolicyReason.ModeProposeOnly)]
    [InlineData(AutonomyModeV1.ApprovalRequired, "DO_NOT_CONTACT", ApprovalVerdict.Refused, PolicyReason.LifecycleState)]
    [InlineData(AutonomyModeV1.ApprovalRequired, "CUSTOMER", ApprovalVerdict.Proceed, PolicyReason.ModeApprovalRequired)]
    [InlineData(AutonomyModeV1.AutoExecute, "CUSTOMER", ApprovalVerdict.Proceed, PolicyReason.AllowedByPolicy)]
    public void TodaysConfigurationDecides(AutonomyModeV1 mode, string lifecycle, ApprovalVerdict verdict, PolicyReason reason)
    {
        var input = new PolicyInput("CREATE_TASK", Autonomy.Actions.ActionCatalog.BuiltIns["CREATE_TASK"], mode, KillSwitchState.None, 0.9, lifecycle, false, false, PolicyParameters.Default);

        var check = HumanApproval.Recheck(PolicyDecision.RequireApproval, input);

        Assert.Equal(verdict, check.Verdict);
        Assert.Equal(reason, check.Policy.Reason);
    }

    [Fact]
    public void OnlyAProposalBlockedByAKillSwitchCanBeAnsweredLater() =>
        Gen.Select(Gen.Enum<PolicyDecision>(), Gen.Enum<PolicyReason>()).Sample((shown, reason) =>
            Assert.Equal(
                shown == PolicyDecision.Block && reason == PolicyReason.KillSwitch ? PolicyDecision.RequireApproval : shown,
                HumanApproval.Answering(shown, reason)));

    [Fact]
    public void AnEngagedOrUnreadableSwitchRefusesForNowWithoutResolving()
    {
        var input = new PolicyInput("CREATE_TASK", Autonomy.Actions.ActionCatalog.BuiltIns["CREATE_TASK"], AutonomyModeV1.ApprovalRequired, KillSwitchState.Unknown, 0.9, "CUSTOMER", false, false, PolicyParameters.Default);

        Assert.Equal(ApprovalVerdict.KillSwitch, HumanApproval.Recheck(PolicyDecision.RequireApproval, input).Verdict);
    }

    [Fact]
    public void OnlyTheOwnerAnAdminOrTheSystemMayAct()
    {
        Assert.True(HumanApproval.MayAct(new Actor("alice", [Actor.Seller]), "alice"));
        Assert.False(HumanApproval.MayAct(new Actor("bob", [Actor.Seller]), "alice"));
        Assert.False(HumanApproval.MayAct(new Actor("bob", [Actor.Seller]), null));
        Assert.True(HumanApproval.MayAct(new Actor("root", [Actor.Admin]), "alice"));
        Assert.True(HumanApproval.MayAct(Actor.System, null));
        Assert.False(HumanApproval.MayAct(new Actor("alice", [Actor.Auditor]), "alice"));
        Assert.False(HumanApproval.MayAct(new Actor("alice", ImmutableArray<string>.Empty), "alice"));
    }
}

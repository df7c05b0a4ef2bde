using Autonomy.Actions;
using Autonomy.Policy;
using CsCheck;

namespace Autonomy.Tests.Policy;

public class AutoApprovalPolicyV1Tests
{
    private const long Iter = 20_000;

    [Fact]
    public void HighRiskActionNeverAutoExecutes() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable).Sample(input =>
        {
            var result = AutoApprovalPolicyV1.Evaluate(input);
            if (input.Spec is { RiskLevel: RiskLevel.High })
            {
                Assert.NotEqual(PolicyDecision.AutoExecute, result.Decision);
            }
        }, iter: Iter);

    [Fact]
    public void ExternalContactActionNeverAutoExecutes() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable).Sample(input =>
        {
            if (input.Spec is { ExternalContact: true })
            {
                Assert.NotEqual(PolicyDecision.AutoExecute, AutoApprovalPolicyV1.Evaluate(input).Decision);
            }
        }, iter: Iter);

    [Fact]
    public void MediumRiskOrNotAllowListedActionNeverAutoExecutes() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable).Sample(input =>
        {
            if (input.Spec is { RiskLevel: RiskLevel.Medium } or { AllowListed: false })
            {
                Assert.NotEqual(PolicyDecision.AutoExecute, AutoApprovalPolicyV1.Evaluate(input).Decision);
            }
        }, iter: Iter);

    [Fact]
    public void DisabledTypeIsAlwaysBlocked() =>
        PolicyGen.Input.Select(i => i with { Mode = AutonomyModeV1.Disabled }).Sample(input =>
            Assert.Equal(PolicyDecision.Block, AutoApprovalPolicyV1.Evaluate(input).Decision), iter: Iter);

    [Fact]
    public void EngagedKillSwitchCoveringTheTypeAlwaysBlocksWithKillSwitchReason() =>
        Gen.Select(PolicyGen.Input, Gen.Int[0, 2]).Sample((input, scope) =>
        {
            var kill = input.KillSwitches;
            var engaged = input with
            {
                KillSwitches = scope switch
                {
                    0 => kill with { Platform = true },
                    1 => kill with { Tenant = true },
                    _ => kill with { ActionTypes = kill.ActionTypes.Add(input.ActionType) },
                },
            };

            var result = AutoApprovalPolicyV1.Evaluate(engaged);

            Assert.Equal(PolicyDecision.Block, result.Decision);
            Assert.Equal(PolicyReason.KillSwitch, result.Reason);
        }, iter: Iter);

    [Fact]
    public void KillSwitchOfAnotherTypeDoesNotStopThisOne()
    {
        var input = Golden.Allowed with { KillSwitches = new KillSwitchState(false, false, ["SEND_EMAIL"]) };

        Assert.Equal(PolicyDecision.AutoExecute, AutoApprovalPolicyV1.Evaluate(input).Decision);
    }

    [Fact]
    public void UnreadableSwitchesFailClosed() =>
        PolicyGen.Input.Select(i => i with { KillSwitches = KillSwitchState.Unknown }).Sample(input =>
            Assert.Equal(PolicyReason.KillSwitch, AutoApprovalPolicyV1.Evaluate(input).Reason), iter: Iter);

    [Fact]
    public void UnknownActionTypeNeverAutoExecutes() =>
        PolicyGen.Input.Select(i => i with { Spec = null }).Sample(input =>
            Assert.NotEqual(PolicyDecision.AutoExecute, AutoApprovalPolicyV1.Evaluate(input).Decision), iter: Iter);

    [Fact]
    public void AutoExecuteHappensOnlyInAutoExecuteMode() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable.SelectMany(i => Gen.Enum<AutonomyModeV1>().Select(m => i with { Mode = m }))).Sample(input =>
        {
            if (AutoApprovalPolicyV1.Evaluate(input).Decision == PolicyDecision.AutoExecute)
            {
                Assert.Equal(AutonomyModeV1.AutoExecute, input.Mode);
            }
        }, iter: Iter);

    [Fact]
    public void UndefinedModeOrRiskValueNeverAutoExecutes() =>
        Gen.Select(PolicyGen.Reachable, Gen.Int[4, 100], Gen.Int[3, 100], Gen.Int[0, 2]).Sample((input, mode, risk, which) =>
        {
            // Out-of-range enum values can arrive from stored or posted configuration; fail closed on them.
            var odd = which switch
            {
                0 => input with { Mode = (AutonomyModeV1)mode },
                1 => input with { Spec = input.Spec! with { RiskLevel = (RiskLevel)risk } },
                _ => input with { Mode = (AutonomyModeV1)(-mode), Spec = input.Spec! with { RiskLevel = (RiskLevel)(-risk) } },
            };

            Assert.NotEqual(PolicyDecision.AutoExecute, AutoApprovalPolicyV1.Evaluate(odd).Decision);
        }, iter: 2_000);

    [Fact]
    public void ScheduledRunOnAccountNotOptedInNeverAutoExecutes() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable).Select(i => i with { StartedBySchedule = true, AccountOptedInToSchedules = false }).Sample(input =>
            Assert.NotEqual(PolicyDecision.AutoExecute, AutoApprovalPolicyV1.Evaluate(input).Decision), iter: Iter);

    [Fact]
    public void ConfidenceBelowMinimumOrNotANumberNeverAutoExecutes() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable.SelectMany(i => PolicyGen.Confidence.Select(c => i with { Confidence = c }))).Sample(input =>
        {
            if (!(input.Confidence >= input.Parameters.MinConfidence))
            {
                Assert.NotEqual(PolicyDecision.AutoExecute, AutoApprovalPolicyV1.Evaluate(input).Decision);
            }
        }, iter: Iter);

    [Fact]
    public void SameInputAlwaysGivesSameResult() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable).Sample(input =>
        {
            var first = AutoApprovalPolicyV1.Evaluate(input);

            Assert.Equal(first, AutoApprovalPolicyV1.Evaluate(input));
            Assert.Equal(first, AutoApprovalPolicyV1.Evaluate(PolicyGen.DeepCopy(input)));
        }, iter: Iter);

    [Fact]
    public void EveryResultCarriesExplanationRuleAndPolicyVersion() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable).Sample(input =>
        {
            var result = AutoApprovalPolicyV1.Evaluate(input);

            Assert.False(string.IsNullOrWhiteSpace(result.Explanation));
            Assert.False(string.IsNullOrWhiteSpace(result.Rule));
            Assert.Equal(AutoApprovalPolicyV1.Version, result.PolicyVersion);
        }, iter: Iter);

    [Fact]
    public void DecisionAndReasonAgree() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable).Sample(input =>
        {
            var result = AutoApprovalPolicyV1.Evaluate(input);

            Assert.Equal(result.Decision == PolicyDecision.AutoExecute, result.Reason == PolicyReason.AllowedByPolicy);
        }, iter: Iter);
}

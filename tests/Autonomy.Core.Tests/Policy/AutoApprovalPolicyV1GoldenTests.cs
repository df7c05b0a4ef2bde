using Autonomy.Actions;
using Autonomy.Policy;

namespace Autonomy.Tests.Policy;

/// <summary>Hand-written inputs pinning the exact decision, reason and rule of every branch.</summary>
public class AutoApprovalPolicyV1GoldenTests
{
    public static TheoryData<string, PolicyInput, PolicyDecision, PolicyReason, string> Cases()
    {
        var a = Golden.Allowed;
        var custom = new ActionTypeSpec("CUSTOM_LOW", RiskLevel.Low, ExternalContact: false, AllowListed: true, Revertible: true);
        return new()
        {
            { "allowed", a, PolicyDecision.AutoExecute, PolicyReason.AllowedByPolicy, "R14.allowed" },
            { "platform switch", a with { KillSwitches = new(true, false, []) }, PolicyDecision.Block, PolicyReason.KillSwitch, "R1.kill-switch" },
            { "tenant switch", a with { KillSwitches = new(false, true, []) }, PolicyDecision.Block, PolicyReason.KillSwitch, "R1.kill-switch" },
            { "type switch", a with { KillSwitches = new(false, false, ["CREATE_TASK"]) }, PolicyDecision.Block, PolicyReason.KillSwitch, "R1.kill-switch" },
            { "switch beats disabled", a with { KillSwitches = KillSwitchState.Unknown, Mode = AutonomyModeV1.Disabled }, PolicyDecision.Block, PolicyReason.KillSwitch, "R1.kill-switch" },
            { "disabled", a with { Mode = AutonomyModeV1.Disabled }, PolicyDecision.Block, PolicyReason.ActionTypeDisabled, "R2.mode-disabled" },
            { "disabled beats unknown", a with { Mode = AutonomyModeV1.Disabled, Spec = null }, PolicyDecision.Block, PolicyReason.ActionTypeDisabled, "R2.mode-disabled" },
            { "unknown type", a with { Spec = null }, PolicyDecision.Block, PolicyReason.UnknownActionType, "R3.unknown-type" },
            { "blocked lifecycle", a with { Lifecycle = "DO_NOT_CONTACT" }, PolicyDecision.Block, PolicyReason.LifecycleState, "R4.lifecycle-blocked" },
            { "blocked lifecycle beats approval mode", a with { Lifecycle = "DO_NOT_CONTACT", Mode = AutonomyModeV1.ApprovalRequired }, PolicyDecision.Block, PolicyReason.LifecycleState, "R4.lifecycle-blocked" },
            { "propose only", a with { Mode = AutonomyModeV1.ProposeOnly }, PolicyDecision.Block, PolicyReason.ModeProposeOnly, "R5.mode-propose-only" },
            { "approval required", a with { Mode = AutonomyModeV1.ApprovalRequired }, PolicyDecision.RequireApproval, PolicyReason.ModeApprovalRequired, "R6.mode-approval-required" },
            { "high risk", a with { ActionType = "APPLY_DISCOUNT", Spec = ActionCatalog.BuiltIns["APPLY_DISCOUNT"] }, PolicyDecision.RequireApproval, PolicyReason.RiskLevelHigh, "R7.risk-high" },
            { "high risk beats external", a with { Spec = custom with { RiskLevel = RiskLevel.High, ExternalContact = true } }, PolicyDecision.RequireApproval, PolicyReason.RiskLevelHigh, "R7.risk-high" },
            { "external contact", a with { Spec = custom with { ExternalContact = true } }, PolicyDecision.RequireApproval, PolicyReason.ExternalContact, "R8.external-contact" },
            { "external beats medium", a with { ActionType = "SEND_EMAIL", Spec = ActionCatalog.BuiltIns["SEND_EMAIL"] }, PolicyDecision.RequireApproval, PolicyReason.ExternalContact, "R8.external-contact" },
            { "medium risk", a with { ActionType = "ESCALATE_TO_MANAGER", Spec = ActionCatalog.BuiltIns["ESCALATE_TO_MANAGER"] }, PolicyDecision.RequireApproval, PolicyReason.RiskLevelMedium, "R9.risk-medium" },
            { "not allow-listed", a with { Spec = custom with { AllowListed = false } }, PolicyDecision.RequireApproval, PolicyReason.NotAllowListed, "R10.not-allow-listed" },
            { "low confidence", a with { Confidence = 0.59 }, PolicyDecision.RequireApproval, PolicyReason.LowConfidence, "R11.low-confidence" },
            { "NaN confidence", a with { Confidence = double.NaN }, PolicyDecision.RequireApproval, PolicyReason.LowConfidence, "R11.low-confidence" },
            { "negative confidence", a with { Confidence = -1 }, PolicyDecision.RequireApproval, PolicyReason.LowConfidence, "R11.low-confidence" },
            { "NaN minimum fails closed", a with { Parameters = PolicyParameters.Default with { MinConfidence = double.NaN } }, PolicyDecision.RequireApproval, PolicyReason.LowConfidence, "R11.low-confidence" },
            { "confidence at minimum", a with { Confidence = 0.6 }, PolicyDecision.AutoExecute, PolicyReason.AllowedByPolicy, "R14.allowed" },
            { "lifecycle not autonomous", a with { Lifecycle = "CHURNED" }, PolicyDecision.RequireApproval, PolicyReason.LifecycleState, "R12.lifecycle-not-autonomous" },
            { "lifecycle unknown", a with { Lifecycle = null }, PolicyDecision.RequireApproval, PolicyReason.LifecycleState, "R12.lifecycle-not-autonomous" },
            { "schedule not opted in", a with { StartedBySchedule = true }, PolicyDecision.RequireApproval, PolicyReason.ScheduleNotOptedIn, "R13.schedule-not-opted-in" },
            { "schedule opted in", a with { StartedBySchedule = true, AccountOptedInToSchedules = true }, PolicyDecision.AutoExecute, PolicyReason.AllowedByPolicy, "R14.allowed" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachBranchGivesItsPinnedReasonAndRule(string name, PolicyInput input, PolicyDecision decision, PolicyReason reason, string rule)
    {
        var result = AutoApprovalPolicyV1.Evaluate(input);

        Assert.True(
            (decision, reason, rule) == (result.Decision, result.Reason, result.Rule),
            $"{name}: expected {decision}/{reason}/{rule}, got {result.Decision}/{result.Reason}/{result.Rule}");
        Assert.Equal("AutoApprovalPolicyV1@1", result.PolicyVersion);
    }

    [Fact]
    public void BudgetExhaustedDowngradesToApprovalWithItsOwnReason()
    {
        var result = AutoApprovalPolicyV1.BudgetExhausted("5 of 5 autonomous actions for this account today");

        Assert.Equal(PolicyDecision.RequireApproval, result.Decision);
        Assert.Equal(PolicyReason.BudgetExhausted, result.Reason);
        Assert.Equal("B1.budget-exhausted", result.Rule);
        Assert.Equal(AutoApprovalPolicyV1.Version, result.PolicyVersion);
        Assert.Contains("5 of 5", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyReasonCodesAreStable() =>
        Assert.Equal(
            [
                "KillSwitch", "ActionTypeDisabled", "UnknownActionType", "LifecycleState", "ModeProposeOnly", "ModeApprovalRequired",
                "RiskLevelHigh", "RiskLevelMedium", "ExternalContact", "NotAllowListed", "LowConfidence", "ScheduleNotOptedIn",
                "BudgetExhausted", "AllowedByPolicy",
            ],
            Enum.GetNames<PolicyReason>());

    [Fact]
    public void PolicyDecisionsAndModesAreStable()
    {
        Assert.Equal(["AutoExecute", "RequireApproval", "Block"], Enum.GetNames<PolicyDecision>());
        Assert.Equal(["ProposeOnly", "ApprovalRequired", "AutoExecute", "Disabled"], Enum.GetNames<AutonomyModeV1>());
        Assert.Equal(AutonomyModeV1.ApprovalRequired, AutonomyModeConfigV1.Default);
    }

    [Fact]
    public void PolicyVersionIsPinned() => Assert.Equal("AutoApprovalPolicyV1@1", AutoApprovalPolicyV1.Version);
}

internal static class Golden
{
    /// <summary>An input every rule lets through; each golden case changes one thing.</summary>
    public static readonly PolicyInput Allowed = new(
        "CREATE_TASK",
        ActionCatalog.BuiltIns["CREATE_TASK"],
        AutonomyModeV1.AutoExecute,
        KillSwitchState.None,
        Confidence: 0.9,
        Lifecycle: "CUSTOMER",
        StartedBySchedule: false,
        AccountOptedInToSchedules: false,
        PolicyParameters.Default);
}

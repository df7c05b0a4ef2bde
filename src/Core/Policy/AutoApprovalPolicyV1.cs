using System.Collections.Immutable;
using Autonomy.Actions;

namespace Autonomy.Policy;

/// <summary>Everything the policy may look at. It holds no learned value: confidence is the engine's own.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.PolicyInput")]
public sealed record PolicyInput(
    [property: Id(0)] string ActionType,
    [property: Id(1)] ActionTypeSpec? Spec,
    [property: Id(2)] AutonomyModeV1 Mode,
    [property: Id(3)] KillSwitchState KillSwitches,
    [property: Id(4)] double Confidence,
    [property: Id(5)] string? Lifecycle,
    [property: Id(6)] bool StartedBySchedule,
    [property: Id(7)] bool AccountOptedInToSchedules,
    [property: Id(8)] PolicyParameters Parameters);

/// <summary>The engaged kill switches that apply to one evaluation.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.KillSwitchState")]
public sealed record KillSwitchState(
    [property: Id(0)] bool Platform,
    [property: Id(1)] bool Tenant,
    [property: Id(2)] ImmutableArray<string> ActionTypes)
{
    public static readonly KillSwitchState None = new(false, false, []);

    /// <summary>Used whenever the switches cannot be read: fail closed.</summary>
    public static readonly KillSwitchState Unknown = new(true, true, []);

    public bool Stops(string actionType) => Platform || Tenant || ActionTypes.Contains(actionType);
}

/// <summary>The policy's answer, with the rule that produced it so the ledger can say which policy allowed it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.PolicyResult")]
public sealed record PolicyResult(
    [property: Id(0)] PolicyDecision Decision,
    [property: Id(1)] PolicyReason Reason,
    [property: Id(2)] string Explanation,
    [property: Id(3)] string PolicyVersion,
    [property: Id(4)] string Rule);

/// <summary>
/// The deterministic auto-approval policy. Rules are checked in a fixed order and the first that matches
/// decides; only when none objects is an action <see cref="PolicyDecision.AutoExecute"/>. It is a pure function
/// of its input: same input, same result.
/// </summary>
public static class AutoApprovalPolicyV1
{
    public const string Version = "AutoApprovalPolicyV1@1";

    public static PolicyResult Evaluate(PolicyInput input)
    {
        var type = input.ActionType;
        if (input.KillSwitches.Stops(type))
        {
            var scope = input.KillSwitches.Platform ? "the platform" : input.KillSwitches.Tenant ? "this tenant" : $"action type {type}";
            return Block(PolicyReason.KillSwitch, "R1.kill-switch", $"A kill switch is engaged for {scope}; autonomy is stopped.");
        }

        if (input.Mode == AutonomyModeV1.Disabled)
        {
            return Block(PolicyReason.ActionTypeDisabled, "R2.mode-disabled", $"{type} is disabled for this tenant.");
        }

        if (input.Spec is null)
        {
            return Block(PolicyReason.UnknownActionType, "R3.unknown-type", $"{type} is not in the tenant's action catalog.");
        }

        if (input.Lifecycle is { } blocked && input.Parameters.BlockedLifecycles.Contains(blocked))
        {
            return Block(PolicyReason.LifecycleState, "R4.lifecycle-blocked", $"The account's lifecycle {blocked} forbids actions.");
        }

        if (input.Mode == AutonomyModeV1.ProposeOnly)
        {
            return Block(PolicyReason.ModeProposeOnly, "R5.mode-propose-only", $"{type} is propose-only: shown as a suggestion, never executed.");
        }

        // Any mode other than AUTO_EXECUTE (including a value outside the enum) needs a human: fail closed.
        if (input.Mode != AutonomyModeV1.AutoExecute)
        {
            return Approval(PolicyReason.ModeApprovalRequired, "R6.mode-approval-required", $"{type} requires approval for this tenant.");
        }

        var spec = input.Spec;
        // A risk level outside the enum is treated as high: fail closed.
        if (spec.RiskLevel is not (RiskLevel.Low or RiskLevel.Medium))
        {
            return Approval(PolicyReason.RiskLevelHigh, "R7.risk-high", $"{type} is high risk; a human must approve it.");
        }

        if (spec.ExternalContact)
        {
            return Approval(PolicyReason.ExternalContact, "R8.external-contact", $"{type} contacts someone outside; a human must approve it.");
        }

        if (spec.RiskLevel == RiskLevel.Medium)
        {
            return Approval(PolicyReason.RiskLevelMedium, "R9.risk-medium", $"{type} is medium risk; only low-risk actions run on their own.");
        }

        if (!spec.AllowListed)
        {
            return Approval(PolicyReason.NotAllowListed, "R10.not-allow-listed", $"{type} is not on the auto-execution allow list.");
        }

        if (!(input.Confidence >= input.Parameters.MinConfidence))
        {
            return Approval(
                PolicyReason.LowConfidence,
                "R11.low-confidence",
                $"Confidence {input.Confidence:0.###} is below the tenant's minimum {input.Parameters.MinConfidence:0.###}.");
        }

        if (input.Lifecycle is null || !input.Parameters.AutoExecuteLifecycles.Contains(input.Lifecycle))
        {
            return Approval(
                PolicyReason.LifecycleState,
                "R12.lifecycle-not-autonomous",
                $"Autonomy is not allowed for accounts in lifecycle {input.Lifecycle ?? "(unknown)"}.");
        }

        if (input.StartedBySchedule && !input.AccountOptedInToSchedules)
        {
            return Approval(
                PolicyReason.ScheduleNotOptedIn,
                "R13.schedule-not-opted-in",
                "A scheduled run may act alone only on accounts opted in to autonomous schedules.");
        }

        return new PolicyResult(PolicyDecision.AutoExecute, PolicyReason.AllowedByPolicy, $"{type} is low risk, allow-listed and in AUTO_EXECUTE mode.", Version, "R14.allowed");
    }

    /// <summary>The downgrade the budget step applies when an allowed action would exceed the autonomy budget.</summary>
    public static PolicyResult BudgetExhausted(string detail) =>
        Approval(PolicyReason.BudgetExhausted, "B1.budget-exhausted", $"The autonomy budget is used up ({detail}); a human must approve it.");

    private static PolicyResult Block(PolicyReason reason, string rule, string explanation) =>
        new(PolicyDecision.Block, reason, explanation, Version, rule);

    private static PolicyResult Approval(PolicyReason reason, string rule, string explanation) =>
        new(PolicyDecision.RequireApproval, reason, explanation, Version, rule);
}

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

/// <summary>
/// The deterministic auto-approval policy. Rules are checked in a fixed order and the first that matches
/// decides; only when none objects is an action <see cref="PolicyDecision.AutoExecute"/>. It is a pure function
/// of its input: same input, same result. It allocates nothing: the result is a value whose explanation is written
/// out by <see cref="Word"/> when read.
/// </summary>
public static class AutoApprovalPolicyV1
{
    public const string Version = "AutoApprovalPolicyV1@1";

    private const string PlatformSwitch = "A kill switch is engaged for the platform; autonomy is stopped.";
    private const string TenantSwitch = "A kill switch is engaged for this tenant; autonomy is stopped.";
    private const string ScheduleNotOptedIn = "A scheduled run may act alone only on accounts opted in to autonomous schedules.";

    public static PolicyResult Evaluate(PolicyInput input)
    {
        var type = input.ActionType;
        var switches = input.KillSwitches;
        if (switches.Stops(type))
        {
            return switches.Platform ? new(PolicyDecision.Block, PolicyReason.KillSwitch, PlatformSwitch, Version, "R1.kill-switch")
                : switches.Tenant ? new(PolicyDecision.Block, PolicyReason.KillSwitch, TenantSwitch, Version, "R1.kill-switch")
                : Block(PolicyReason.KillSwitch, "R1.kill-switch", PolicyWording.KillSwitchType, type);
        }

        if (input.Mode == AutonomyModeV1.Disabled)
        {
            return Block(PolicyReason.ActionTypeDisabled, "R2.mode-disabled", PolicyWording.Disabled, type);
        }

        if (input.Spec is null)
        {
            return Block(PolicyReason.UnknownActionType, "R3.unknown-type", PolicyWording.UnknownType, type);
        }

        if (input.Lifecycle is { } blocked && input.Parameters.BlockedLifecycles.Contains(blocked))
        {
            return Block(PolicyReason.LifecycleState, "R4.lifecycle-blocked", PolicyWording.LifecycleBlocked, blocked);
        }

        if (input.Mode == AutonomyModeV1.ProposeOnly)
        {
            return Block(PolicyReason.ModeProposeOnly, "R5.mode-propose-only", PolicyWording.ProposeOnly, type);
        }

        // Any mode other than AUTO_EXECUTE (including a value outside the enum) needs a human: fail closed.
        if (input.Mode != AutonomyModeV1.AutoExecute)
        {
            return Approval(PolicyReason.ModeApprovalRequired, "R6.mode-approval-required", PolicyWording.ApprovalRequired, type);
        }

        var spec = input.Spec;
        // A risk level outside the enum is treated as high: fail closed.
        if (spec.RiskLevel is not (RiskLevel.Low or RiskLevel.Medium))
        {
            return Approval(PolicyReason.RiskLevelHigh, "R7.risk-high", PolicyWording.RiskHigh, type);
        }

        if (spec.ExternalContact)
        {
            return Approval(PolicyReason.ExternalContact, "R8.external-contact", PolicyWording.ExternalContact, type);
        }

        if (spec.RiskLevel == RiskLevel.Medium)
        {
            return Approval(PolicyReason.RiskLevelMedium, "R9.risk-medium", PolicyWording.RiskMedium, type);
        }

        if (!spec.AllowListed)
        {
            return Approval(PolicyReason.NotAllowListed, "R10.not-allow-listed", PolicyWording.NotAllowListed, type);
        }

        if (!(input.Confidence >= input.Parameters.MinConfidence))
        {
            return new(
                PolicyDecision.RequireApproval, PolicyReason.LowConfidence, "R11.low-confidence", PolicyWording.LowConfidence, null, input.Confidence, input.Parameters.MinConfidence);
        }

        if (input.Lifecycle is null || !input.Parameters.AutoExecuteLifecycles.Contains(input.Lifecycle))
        {
            return Approval(PolicyReason.LifecycleState, "R12.lifecycle-not-autonomous", PolicyWording.LifecycleNotAutonomous, input.Lifecycle);
        }

        if (input.StartedBySchedule && !input.AccountOptedInToSchedules)
        {
            return new(PolicyDecision.RequireApproval, PolicyReason.ScheduleNotOptedIn, ScheduleNotOptedIn, Version, "R13.schedule-not-opted-in");
        }

        return new(PolicyDecision.AutoExecute, PolicyReason.AllowedByPolicy, "R14.allowed", PolicyWording.Allowed, type);
    }

    /// <summary>The downgrade the budget step applies when an allowed action would exceed the autonomy budget.</summary>
    public static PolicyResult BudgetExhausted(string detail) =>
        Approval(PolicyReason.BudgetExhausted, "B1.budget-exhausted", PolicyWording.BudgetExhausted, detail);

    /// <summary>
    /// The explanation of a rule's answer: its sentence with the values it names (<paramref name="subject"/>: the action
    /// type, the lifecycle or the budget's detail; <paramref name="value"/> and <paramref name="threshold"/>: the
    /// confidence and the tenant's minimum). The ledger hashes these sentences: never reword one in place.
    /// </summary>
    internal static string Word(PolicyWording wording, string? subject, double value, double threshold) => wording switch
    {
        PolicyWording.KillSwitchType => $"A kill switch is engaged for action type {subject}; autonomy is stopped.",
        PolicyWording.Disabled => $"{subject} is disabled for this tenant.",
        PolicyWording.UnknownType => $"{subject} is not in the tenant's action catalog.",
        PolicyWording.LifecycleBlocked => $"The account's lifecycle {subject} forbids actions.",
        PolicyWording.ProposeOnly => $"{subject} is propose-only: shown as a suggestion, never executed.",
        PolicyWording.ApprovalRequired => $"{subject} requires approval for this tenant.",
        PolicyWording.RiskHigh => $"{subject} is high risk; a human must approve it.",
        PolicyWording.ExternalContact => $"{subject} contacts someone outside; a human must approve it.",
        PolicyWording.RiskMedium => $"{subject} is medium risk; only low-risk actions run on their own.",
        PolicyWording.NotAllowListed => $"{subject} is not on the auto-execution allow list.",
        PolicyWording.LowConfidence => $"Confidence {value:0.###} is below the tenant's minimum {threshold:0.###}.",
        PolicyWording.LifecycleNotAutonomous => $"Autonomy is not allowed for accounts in lifecycle {subject ?? "(unknown)"}.",
        PolicyWording.Allowed => $"{subject} is low risk, allow-listed and in AUTO_EXECUTE mode.",
        PolicyWording.BudgetExhausted => $"The autonomy budget is used up ({subject}); a human must approve it.",
        _ => throw new ArgumentOutOfRangeException(nameof(wording), wording, "A result made from text keeps its text."),
    };

    private static PolicyResult Block(PolicyReason reason, string rule, PolicyWording wording, string? subject) =>
        new(PolicyDecision.Block, reason, rule, wording, subject);

    private static PolicyResult Approval(PolicyReason reason, string rule, PolicyWording wording, string? subject) =>
        new(PolicyDecision.RequireApproval, reason, rule, wording, subject);
}

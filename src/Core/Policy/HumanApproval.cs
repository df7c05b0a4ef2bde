using Autonomy.Common;

namespace Autonomy.Policy;

public enum ApprovalVerdict
{
    /// <summary>The human's approval may execute the proposal.</summary>
    Proceed,

    /// <summary>A kill switch covers the action type: refused for now; the proposal keeps waiting.</summary>
    KillSwitch,

    /// <summary>The policy now blocks the proposal (disabled, unknown type, blocked lifecycle, propose-only): it leaves the queue.</summary>
    Refused,

    /// <summary>The proposal was only ever a suggestion (blocked when it was made): never executed.</summary>
    Suggestion,
}

/// <summary>The policy's answer to a human's approval, on the configuration in force now.</summary>
public readonly record struct ApprovalCheck(ApprovalVerdict Verdict, PolicyResult Policy);

/// <summary>
/// The rules of the human side: who may act on an account, and whether a proposal may still be approved. An
/// approval re-runs <see cref="AutoApprovalPolicyV1"/> on the current configuration, so what is now disabled,
/// blocked or switched off does not execute because someone approved it earlier.
/// </summary>
public static class HumanApproval
{
    /// <summary>
    /// The policy's answer a human's approval executes under: the proposal's own reason, except that one shown blocked by
    /// a kill switch executes on the policy's answer of today (<paramref name="now"/>), not on the switch.
    /// </summary>
    public static PolicyResult Approved(string approver, (PolicyReason Reason, string Explanation, string PolicyVersion) shown, PolicyResult now)
    {
        var (reason, explanation) = shown.Reason == PolicyReason.KillSwitch ? (now.Reason, now.Explanation) : (shown.Reason, shown.Explanation);
        return new PolicyResult(PolicyDecision.RequireApproval, reason, $"Approved by {approver}. {explanation}", shown.PolicyVersion, "human-approval");
    }

    /// <summary>The refusal of an approval while a kill switch covering <paramref name="actionType"/> is engaged.</summary>
    public static ConflictException KillSwitchEngaged(string actionType) =>
        new("KILL_SWITCH_ENGAGED", $"A kill switch covering {actionType} is engaged; nothing executes until it is released.");

    /// <summary>The refusal of an approval while the kill switches cannot be read: they count as engaged.</summary>
    public static ConflictException SwitchesUnreadable(string actionType) =>
        new("KILL_SWITCH_ENGAGED", $"The kill switches covering {actionType} cannot be read now; they count as engaged, so nothing executes. Try again shortly.");

    /// <summary>The refusal of an approval the policy no longer allows, coded by the policy's reason.</summary>
    public static ConflictException NoLongerAllowed(string proposalId, PolicyResult policy, string? after = null) =>
        new(WireName.Of(policy.Reason), $"The policy no longer allows proposal {proposalId}: {policy.Explanation}{after}");

    /// <summary>Admins act on every account of their tenant; a seller only on accounts it owns; the system always.</summary>
    public static bool MayAct(Actor actor, string? ownerId)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Has(Actor.Admin)
            || actor == Actor.System
            || (actor.Has(Actor.Seller) && ownerId is not null && actor.Id == ownerId);
    }

    /// <summary>
    /// What a human's approval answers: the decision the proposal was shown with, except that one blocked because a
    /// kill switch was engaged when it was made counts as needing approval. The switch is checked first, so it hid
    /// what the rest of the policy would have said; keeping such a proposal a suggestion forever would take the
    /// decision from the human once the incident is over. The approval re-runs the policy now: it is refused while a
    /// switch is still engaged, and mode, catalog and lifecycle decide on today's configuration.
    /// </summary>
    public static PolicyDecision Answering(PolicyDecision shown, PolicyReason reason) =>
        shown == PolicyDecision.Block && reason == PolicyReason.KillSwitch ? PolicyDecision.RequireApproval : shown;

    /// <summary>
    /// Re-evaluates a proposal shown with <paramref name="shown"/> against <paramref name="current"/> (this moment's
    /// modes, catalog, lifecycle and kill switches). A human approval stands in for REQUIRE_APPROVAL, so any
    /// decision but BLOCK proceeds.
    /// </summary>
    public static ApprovalCheck Recheck(PolicyDecision shown, PolicyInput current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var result = AutoApprovalPolicyV1.Evaluate(current);
        if (shown == PolicyDecision.Block)
        {
            return new(ApprovalVerdict.Suggestion, result);
        }

        if (result.Reason == PolicyReason.KillSwitch)
        {
            return new(ApprovalVerdict.KillSwitch, result);
        }

        return result.Decision == PolicyDecision.Block
            ? new(ApprovalVerdict.Refused, result)
            : new(ApprovalVerdict.Proceed, result);
    }
}

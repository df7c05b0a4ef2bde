namespace Autonomy.Policy;

/// <summary>The last check's answer: whether the side effect may happen now, and the policy's result it rests on.</summary>
public readonly record struct Clearance(bool Cleared, PolicyResult Policy);

/// <summary>
/// The last check before a side effect, on every path (autonomous, human, recovery): the policy re-run on the tenant as
/// read after the ledger flush, so a kill switch engaged, a type disabled, set to need approval or made riskier while the
/// engine was deciding or the ledger was writing stops the action. An earlier evaluation is never trusted: a run's
/// configuration was read before the engine call, which may take as long as the engine's timeout.
/// </summary>
public static class ExecutionClearance
{
    /// <summary>An autonomous action still runs alone only where the policy, on <paramref name="now"/>, would auto-execute it.</summary>
    public static Clearance Autonomous(PolicyInput now)
    {
        var result = AutoApprovalPolicyV1.Evaluate(now);
        return new(result.Decision == PolicyDecision.AutoExecute, result);
    }

    /// <summary>A human's approval of a proposal shown with <paramref name="shown"/> executes only where the recheck, on <paramref name="now"/>, proceeds.</summary>
    public static Clearance Approved(PolicyDecision shown, PolicyInput now)
    {
        var check = HumanApproval.Recheck(shown, now);
        return new(check.Verdict == ApprovalVerdict.Proceed, check.Policy);
    }

    /// <summary>The clearance of an interrupted execution's retry: an autonomous one as if it were new, an approved one as an approval.</summary>
    public static Clearance Retry(bool autonomous, PolicyInput now) =>
        autonomous ? Autonomous(now) : Approved(PolicyDecision.RequireApproval, now);

    /// <summary>
    /// What a retry's clearance starts from: the action type and the account's lifecycle now; the tenant's reading fills in
    /// the rest (<see cref="Tenants.TenantSnapshot.Refresh"/>), and unread, the switches stay unknown (engaged) and the
    /// type disabled. The engine's confidence and the Mode 4 opt-in were checked when the action was first cleared and are
    /// not kept, so they pass here; everything the tenant controls is checked again.
    /// </summary>
    public static PolicyInput RetryInput(string actionType, string? lifecycle) =>
        new(actionType, null, AutonomyModeV1.Disabled, KillSwitchState.Unknown, 1.0, lifecycle, StartedBySchedule: false, AccountOptedInToSchedules: false, PolicyParameters.Default);
}

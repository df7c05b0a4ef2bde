namespace Autonomy.Ledger;

/// <summary>The ledger entry types (API.md spelling).</summary>
public static class LedgerTypes
{
    public const string ConfigChanged = "CONFIG_CHANGED";
    public const string SignalIngested = "SIGNAL_INGESTED";
    public const string AccountUpdated = "ACCOUNT_UPDATED";
    public const string TriggerFired = "TRIGGER_FIRED";
    public const string TriggerSuppressed = "TRIGGER_SUPPRESSED";
    public const string CostGate = "COST_GATE";
    public const string DecisionProposed = "DECISION_PROPOSED";
    public const string EngineCalled = "ENGINE_CALLED";
    public const string EngineFallback = "ENGINE_FALLBACK";
    public const string PolicyEvaluated = "POLICY_EVALUATED";
    public const string BudgetChecked = "BUDGET_CHECKED";
    public const string KillSwitchChecked = "KILL_SWITCH_CHECKED";
    public const string ActionExecuted = "ACTION_EXECUTED";
    public const string ActionFailed = "ACTION_FAILED";
    public const string ActionRevertRequested = "ACTION_REVERT_REQUESTED";
    public const string ActionReverted = "ACTION_REVERTED";
    public const string ActionRevertFailed = "ACTION_REVERT_FAILED";
    public const string ProposalsMoved = "PROPOSALS_MOVED";
    public const string ScheduleOptInRevoked = "SCHEDULE_OPT_IN_REVOKED";
    public const string DigestDelivering = "DIGEST_DELIVERING";
    public const string ProposalResolved = "PROPOSAL_RESOLVED";
    public const string OutcomeRecorded = "OUTCOME_RECORDED";
    public const string ScheduleTick = "SCHEDULE_TICK";
    public const string DigestDelivered = "DIGEST_DELIVERED";
    public const string PullScheduled = "PULL_SCHEDULED";
    public const string PullCompleted = "PULL_COMPLETED";
    public const string PullDeferred = "PULL_DEFERRED";
    public const string PullSkipped = "PULL_SKIPPED";
    public const string PullFailed = "PULL_FAILED";
    public const string KillSwitchChanged = "KILL_SWITCH_CHANGED";
    public const string RankingModelChanged = "RANKING_MODEL_CHANGED";
    public const string ProposalsRanked = "PROPOSALS_RANKED";
    public const string RankingCandidateTrained = "RANKING_CANDIDATE_TRAINED";
    public const string RankingExplorationChanged = "RANKING_EXPLORATION_CHANGED";
}

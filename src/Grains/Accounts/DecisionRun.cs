using System.Collections.Immutable;
using Autonomy.CostGate;
using Autonomy.Decisions;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tenants;
using Autonomy.Triggers;

namespace Autonomy.Accounts;

/// <summary>
/// One decision run: what started it, the tenant configuration it is decided under, and its ledger batch. Immutable:
/// each step takes it with its inputs and returns its own result.
/// </summary>
internal sealed record DecisionRun(string RunId, string TriggerType, TriggerWindow Window, TenantSnapshot Snapshot, LedgerBatch Batch, DateTimeOffset Now)
{
    public bool StartedBySchedule => Window.StartedBySchedule;

    /// <summary>ENGINE_FALLBACK: which fallback answered (or deferred) the run, and why; counted by reason.</summary>
    public void AddFallback(string reason, EngineFallback fallback, DateTimeOffset? retryAt, string explanation)
    {
        Batch.Add(RunId, Actor.System, new EngineFallbackPayload(reason, EngineSettings.Wire(fallback).ToUpperInvariant(), retryAt, explanation));
        AutonomyMetrics.EngineFallback(reason, EngineSettings.Wire(fallback));

        // The gate's own DEFERs are counted with the gate; a deferral after a failed call is counted here.
        if (fallback == EngineFallback.Defer && reason != "TOKEN_BUDGET_EXHAUSTED") AutonomyMetrics.Deferred(reason);
    }
}

/// <summary>
/// Which engine answers a run the gate allowed, and what was reserved for it: the chat engine with its quoted call
/// and token reservation, or the playbook (chosen, or the fallback when the token budget was used up).
/// </summary>
internal sealed record EnginePlan(EngineSettings Settings, EngineQuote? Quote, TokenReservation? Tokens)
{
    public bool UsesChat => Quote is not null && Tokens is { Granted: true };
}

/// <summary>The cost gate's answer for a run, and the engine it chose.</summary>
internal sealed record GateStep(GateResult Gate, EnginePlan Engine);

/// <summary>One proposal of a run in display order: its position, the engine's proposal, and how the ranker saw it.</summary>
internal sealed record RankedProposal(int Index, ProposedAction Proposal, ProposalRanking? Ranking);

/// <summary>
/// What routing one proposal came to: the account after it, the proposal now waiting for a human or the action
/// executed (or neither), and the proposals a full queue expired to make room.
/// </summary>
internal sealed record RoutedProposal(AccountState State, ProposalView? Waiting, ActionView? Done, ImmutableArray<ProposalView> Evicted);

/// <summary>
/// What an execution attempt came to: the account after it, how it ended, the action (when the executor answered),
/// the policy's answer it ran or was stopped under, and the switches that stopped it at the executor.
/// </summary>
internal sealed record Executed(AccountState State, ExecutionOutcome Outcome, ActionView? Action, PolicyResult? Policy = null, KillSwitchState? StoppedBy = null);

/// <summary>How an execution attempt ended for the run that asked for it.</summary>
internal enum ExecutionOutcome
{
    /// <summary>The executor answered; its result is ledgered.</summary>
    Settled,

    /// <summary>A kill switch stopped it before the executor was called.</summary>
    Stopped,

    /// <summary>The executor was called but its answer never came back (timeout, lost silo): recovery settles it once.</summary>
    Unsettled,
}

using System.Collections.Immutable;
using Autonomy.Triggers;

namespace Autonomy.Decisions;

/// <summary>What the engine may know about the account when it proposes.</summary>
public sealed record DecisionContext(
    string TenantId,
    string AccountId,
    string RunId,
    string TriggerType,
    ImmutableArray<SignalRef> Signals,
    string? Lifecycle,
    string? Posture,
    double Heat,
    Playbook Playbook);

/// <summary>One proposed action with the engine's own (uncalibrated) confidence and what it used.</summary>
public sealed record ProposedAction(
    string ActionType,
    string Parameters,
    double Confidence,
    string Rationale,
    ImmutableArray<string> InputsUsed);

/// <summary>The engine's answer and its cost (tokens; zero for the playbook engine).</summary>
public sealed record DecisionResult(string Engine, ImmutableArray<ProposedAction> Proposals, long Tokens);

/// <summary>The decision step: proposes actions. It never decides what runs; the policy does.</summary>
public interface IDecisionEngine
{
    Task<DecisionResult> ProposeAsync(DecisionContext context, CancellationToken cancellationToken = default);
}

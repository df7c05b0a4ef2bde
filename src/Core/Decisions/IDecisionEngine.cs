using System.Collections.Immutable;
using Autonomy.CostGate;
using Autonomy.Tenants;
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

/// <summary>
/// A metered engine's call for one run, prepared before the cost gate reserves its tokens: the most tokens it may use
/// (<see cref="Tokens"/>) and the tenant's daily token budget it is charged to. What the call sends stays inside the engine.
/// </summary>
public abstract record EngineQuote(string TenantId, string RunId, long Tokens, long TokensPerDay);

/// <summary>
/// What a metered engine's call came to: its outcome, the tokens charged to the tenant's budget (reported, or the whole
/// reservation when the endpoint may have spent tokens without saying), their price, and the settlement (null when it
/// failed: the reservation then stays charged in full).
/// </summary>
public sealed record MeteredAnswer(ChatOutcome Outcome, long ChargedTokens, double Cost, TokenSettlement? Settlement);

/// <summary>
/// The seam of an engine whose calls cost tokens (the chat engine), beside <see cref="IDecisionEngine"/>: it quotes a
/// run's call in tokens, so the cost gate reserves them without knowing any prompt, and after the call settles the
/// reservation with what the call used.
/// </summary>
public interface IMeteredEngine
{
    /// <summary>How long a run waits before it is tried again when the engine failed and the tenant's fallback is to defer.</summary>
    TimeSpan DeferAfterFailure { get; }

    /// <summary>Prepares the run's call under the tenant's engine settings and catalog (disabled action types left out).</summary>
    EngineQuote Quote(DecisionContext context, TenantSnapshot tenant);

    /// <summary>Makes the quoted call and settles the tenant's token reservation with what it used.</summary>
    Task<MeteredAnswer> CallAsync(EngineQuote quote, TokenReservation reserved, CancellationToken cancellationToken = default);
}

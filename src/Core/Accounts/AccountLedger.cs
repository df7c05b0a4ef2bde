using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Autonomy.Budgets;
using Autonomy.CostGate;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Outcomes;
using Autonomy.Perception;
using Autonomy.Policy;
using Autonomy.Triggers;

namespace Autonomy.Accounts;

/// <summary>A signal as SIGNAL_INGESTED records it.</summary>
public sealed record IngestedSignal(string Id, string Type, DateTimeOffset? OccurredAt, double Value, JsonNode? Attributes);

/// <summary>SIGNAL_INGESTED: the signals an ingest accepted (replayed after a crash), and the heat they left.</summary>
public sealed record SignalIngestedPayload(ImmutableArray<IngestedSignal> Signals, double Heat, HeatTier Tier) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.SignalIngested;
}

/// <summary>TRIGGER_FIRED: what started a run (kept signals, how many joined) and the configuration it is decided under.</summary>
public sealed record TriggerFiredPayload(string TriggerType, bool StartedBySchedule, ImmutableArray<SignalRef> Signals, int SignalCount, long ConfigVersion) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.TriggerFired;
}

/// <summary>COST_GATE: the gate's verdict and what it weighed.</summary>
public sealed record CostGatePayload(
    GateVerdict Verdict,
    GateReason Reason,
    string Explanation,
    DateTimeOffset? RetryAt,
    double MarginalValue,
    string InputsDigest,
    RunBudgetReservation? Reservation,
    TokenReservation? Tokens = null,
    MarginalValueTerms? Value = null,
    GateThresholds? Thresholds = null,
    string? Engine = null) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.CostGate;
}

/// <summary>
/// ENGINE_CALLED: one call of a paid engine: the model, how it ended, the tokens it reported and their cost, the
/// tokens charged to the tenant's budget (reported, or the whole reservation when the endpoint may have spent
/// tokens without saying), the settlement, and every proposal rejected by validation (never executed).
/// </summary>
public sealed record EngineCalledPayload(
    string Engine,
    string Model,
    ChatCallResult Result,
    long? PromptTokens,
    long? CompletionTokens,
    long ChargedTokens,
    double Cost,
    long ReservedTokens,
    TokenSettlement? Settlement,
    int Accepted,
    ImmutableArray<RejectedProposal> Rejected,
    string? Detail,
    long ElapsedMs) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.EngineCalled;
}

/// <summary>ENGINE_FALLBACK: the chat engine could not answer (reason), and what the tenant's setting did instead (DEFER or PLAYBOOK).</summary>
public sealed record EngineFallbackPayload(string Reason, string Fallback, DateTimeOffset? RetryAt, string Explanation) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.EngineFallback;
}

/// <summary>
/// One proposal as DECISION_PROPOSED records it (parameters as JSON, not text); <see cref="EngineConfidence"/> is the
/// engine's own confidence when the tenant's cap lowered it to <see cref="Confidence"/>.
/// </summary>
public sealed record ProposalEntry(string ActionType, JsonNode? Parameters, double Confidence, string? Rationale, ImmutableArray<string> InputsUsed, double? EngineConfidence = null);

/// <summary>
/// DECISION_PROPOSED: the engine, its cost, how the proposals were ordered, and the proposals; the confidence cap applied
/// to a chat answer, and the proposals kept from the policy because their parameters failed their type's schema
/// (<see cref="ProposalScreen.OutOfSchema"/>: never queued, never executed).
/// </summary>
public sealed record DecisionProposedPayload(
    string Engine, long Tokens, string Ranking, ImmutableArray<ProposalEntry> Proposals, double? ConfidenceCap = null, ImmutableArray<ScreenedOutProposal>? Rejected = null) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.DecisionProposed;
}

/// <summary>POLICY_EVALUATED: the whole policy input and result (a human's approval re-evaluates: <see cref="Reevaluation"/>).</summary>
public sealed record PolicyEvaluatedPayload(
    int? Index, string ActionType, JsonNode? Parameters, PolicyInput Input, PolicyResult Result, long ConfigVersion,
    string? ProposalId = null, bool? Reevaluation = null, ApprovalVerdict? Verdict = null) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PolicyEvaluated;
}

/// <summary>BUDGET_CHECKED: the autonomy budget's answer for one action.</summary>
public sealed record BudgetCheckedPayload(int Index, string ActionType, BudgetCheck Check, AutonomyBudgetConfig Budget) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.BudgetChecked;
}

/// <summary>
/// KILL_SWITCH_CHECKED: the clearance right before an execution: the switches read, whether it stopped the action, and
/// (entries written since the clearance re-runs the policy) the policy's answer and the tenant configuration version it
/// was read at (null: the tenant could not be read).
/// </summary>
public sealed record KillSwitchCheckedPayload(
    int? Index, string ActionId, string ActionType, KillSwitchState Switches, bool Stopped, string Moment, PolicyResult? Policy = null, long? ConfigVersion = null) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.KillSwitchChecked;
}

/// <summary>PROPOSAL_RESOLVED: how a proposal left the queue (APPROVED, EDITED, REJECTED, EXPIRED, BLOCKED, MOVED is not a resolution).</summary>
public sealed record ProposalResolvedPayload(
    string ProposalId,
    string Resolution,
    string? ActionId = null,
    string? ArgsDigest = null,
    JsonNode? EditedParameters = null,
    string? EditedArgsDigest = null,
    string? Reason = null,
    DateTimeOffset? ExpiresAt = null,
    PolicyResult? Policy = null) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.ProposalResolved;
}

/// <summary>
/// ACTION_EXECUTED, ACTION_FAILED: the result of an execution (no <see cref="Action"/> when nothing ran). Which of the
/// two follows from the result: executed only when the action ran and succeeded.
/// </summary>
public sealed record ActionResultPayload(string ActionId, ActionView? Action, string? Executor, string? IdempotencyKey, bool? Recovered = null, string? Detail = null) : ILedgerPayload
{
    string ILedgerPayload.EntryType => Action?.Status == ActionStatus.Succeeded ? LedgerTypes.ActionExecuted : LedgerTypes.ActionFailed;
}

/// <summary>The step of a revert an <see cref="ActionRevertPayload"/> records.</summary>
public enum RevertStep
{
    Requested,
    Reverted,
    Failed,
}

/// <summary>
/// ACTION_REVERT_REQUESTED (with the kill switches read right before; a switch does not stop a revert, which
/// undoes autonomy), ACTION_REVERTED and ACTION_REVERT_FAILED.
/// </summary>
public sealed record ActionRevertPayload(string ActionId, string? Executor = null, string? Detail = null, KillSwitchState? Switches = null) : ILedgerPayload
{
    /// <summary>Which step this is; not stored (the entry type says it), so it reads back as the default.</summary>
    [JsonIgnore]
    public RevertStep Step { get; init; }

    public static ActionRevertPayload Requested(string actionId, KillSwitchState switches) => new(actionId, Switches: switches) { Step = RevertStep.Requested };

    public static ActionRevertPayload Reverted(string actionId, string? executor, string? detail) => new(actionId, executor, detail) { Step = RevertStep.Reverted };

    public static ActionRevertPayload Failed(string actionId, string? executor, string? detail) => new(actionId, executor, detail) { Step = RevertStep.Failed };

    string ILedgerPayload.EntryType => Step switch
    {
        RevertStep.Reverted => LedgerTypes.ActionReverted,
        RevertStep.Failed => LedgerTypes.ActionRevertFailed,
        _ => LedgerTypes.ActionRevertRequested,
    };
}

/// <summary>OUTCOME_RECORDED.</summary>
public sealed record OutcomeRecordedPayload(string? ActionId, string? ProposalId, OutcomeV1? Outcome, string Taxonomy, string? Reason = null, bool? CountsAgainstIdea = null) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.OutcomeRecorded;
}

/// <summary>PROPOSALS_MOVED: pending proposals handed to a new owner's queue.</summary>
public sealed record ProposalsMovedPayload(string? FromOwner, string? ToOwner, ImmutableArray<string> ProposalIds) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.ProposalsMoved;
}

/// <summary>SCHEDULE_OPT_IN_REVOKED: Mode 4 withdrawn because a requirement no longer holds.</summary>
public sealed record OptInRevokedPayload(string AccountId, string Reason, string Explanation) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.ScheduleOptInRevoked;
}

/// <summary>The account stream's payload types, generated at build time; read back by type, never by string key.</summary>
[JsonSerializable(typeof(SignalIngestedPayload))]
[JsonSerializable(typeof(TriggerFiredPayload))]
[JsonSerializable(typeof(CostGatePayload))]
[JsonSerializable(typeof(EngineCalledPayload))]
[JsonSerializable(typeof(EngineFallbackPayload))]
[JsonSerializable(typeof(DecisionProposedPayload))]
[JsonSerializable(typeof(PolicyEvaluatedPayload))]
[JsonSerializable(typeof(BudgetCheckedPayload))]
[JsonSerializable(typeof(KillSwitchCheckedPayload))]
[JsonSerializable(typeof(ProposalResolvedPayload))]
[JsonSerializable(typeof(ActionResultPayload))]
[JsonSerializable(typeof(ActionRevertPayload))]
[JsonSerializable(typeof(OutcomeRecordedPayload))]
[JsonSerializable(typeof(ProposalsMovedPayload))]
[JsonSerializable(typeof(OptInRevokedPayload))]
public sealed partial class AccountLedgerJson : JsonSerializerContext;

/// <summary>Reads account payloads back with the ledger's one JSON setup.</summary>
public static class AccountLedger
{
    public static T Read<T>(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return JsonSerializer.Deserialize<T>(entry.Payload, LedgerJson.Options)
            ?? throw new JsonException($"Ledger entry {entry.EntryId} ({entry.Type}) has no payload.");
    }
}

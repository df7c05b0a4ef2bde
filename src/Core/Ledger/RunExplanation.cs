using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Decisions;

namespace Autonomy.Ledger;

/// <summary>One step of a run: which entry, and in a sentence what it decided.</summary>
public sealed record RunStep(string EntryId, string Type, DateTimeOffset At, string StreamId, long Seq, string Actor, string? Reason, string? Summary);

/// <summary>An entry's payload as the run saw or decided it.</summary>
public sealed record RunItem(string EntryId, string Type, DateTimeOffset At, JsonNode? Payload);

/// <summary>
/// The answer to "why did the system do this?" (<see cref="Why"/>: the chain of steps), "what did it know?"
/// (<see cref="Knew"/>: the signals and trigger, the cost gate's inputs, the engine's proposals and what they used, the ranker's features)
/// and "which policy allowed it?" (<see cref="Policy"/>: every policy evaluation with its version, rule, parameters
/// and config version, and the budget, kill-switch and human checks that followed).
/// </summary>
public sealed record RunExplanation(string RunId, IReadOnlyList<RunStep> Why, IReadOnlyList<RunItem> Knew, IReadOnlyList<RunItem> Policy)
{
    private static readonly HashSet<string> KnewTypes =
        [LedgerTypes.SignalIngested, LedgerTypes.TriggerFired, LedgerTypes.CostGate, LedgerTypes.EngineCalled, LedgerTypes.EngineFallback, LedgerTypes.DecisionProposed, LedgerTypes.ProposalsRanked];

    private static readonly HashSet<string> PolicyTypes =
        [LedgerTypes.PolicyEvaluated, LedgerTypes.BudgetChecked, LedgerTypes.KillSwitchChecked, LedgerTypes.ProposalResolved];

    /// <summary>Builds the explanation from a run's entries (ledger order is kept); null when the run has none.</summary>
    public static RunExplanation? Build(string runId, IReadOnlyList<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return null;
        }

        var why = new List<RunStep>(entries.Count);
        var knew = new List<RunItem>();
        var policy = new List<RunItem>();
        foreach (var entry in entries)
        {
            var payload = JsonNode.Parse(entry.Payload);
            var (reason, summary) = Describe(entry);
            why.Add(new RunStep(entry.EntryId, entry.Type, entry.At, entry.StreamId, entry.Seq, entry.Actor, reason, summary));
            if (KnewTypes.Contains(entry.Type))
            {
                knew.Add(new RunItem(entry.EntryId, entry.Type, entry.At, payload));
            }
            else if (PolicyTypes.Contains(entry.Type))
            {
                policy.Add(new RunItem(entry.EntryId, entry.Type, entry.At, payload));
            }
        }

        return new RunExplanation(runId, why, knew, policy);
    }

    /// <summary>The step's reason code and one-sentence summary, read from its typed payload (null for types without one).</summary>
    private static (string? Reason, string? Summary) Describe(LedgerEntry entry)
    {
        try
        {
            return entry.Type switch
            {
                LedgerTypes.TriggerFired when Read<TriggerFiredPayload>(entry) is { } p => (null, $"Run started by {p.TriggerType}{(p.StartedBySchedule ? " (a schedule)" : string.Empty)}."),
                LedgerTypes.CostGate when Read<CostGatePayload>(entry) is { } p => (Code(p.Reason), $"Cost gate: {Code(p.Verdict)} ({Code(p.Reason)}). {p.Explanation}"),
                LedgerTypes.EngineCalled when Read<EngineCalledPayload>(entry) is { } p =>
                    (Code(p.Result), $"{p.Engine} engine ({p.Model}): {Code(p.Result)}, {p.PromptTokens ?? 0} prompt and {p.CompletionTokens ?? 0} completion tokens, cost {p.Cost:0.######}; {p.Accepted} proposal(s) taken, {p.Rejected.Length} rejected."),
                LedgerTypes.EngineFallback when Read<EngineFallbackPayload>(entry) is { } p => (p.Reason, $"Engine fallback: {p.Fallback} ({p.Reason}). {p.Explanation}"),
                LedgerTypes.DecisionProposed when Read<DecisionProposedPayload>(entry) is { } p => (null, $"{p.Engine} engine proposed {p.Proposals.Length} action(s)."),
                LedgerTypes.ProposalsRanked when Read<Learning.ProposalsRankedPayload>(entry) is { } p => (null, $"Ranked by {p.Ranker}: {string.Join(", ", p.Proposals.Select(x => x.ActionType))}."),
                LedgerTypes.PolicyEvaluated when Read<PolicyEvaluatedPayload>(entry) is { Result: { } r } p =>
                    (Code(r.Reason), $"{p.ActionType}: {Code(r.Decision)} ({Code(r.Reason)}, rule {r.Rule}, {r.PolicyVersion}){(p.Reevaluation == true ? " on re-evaluation for a human's approval" : string.Empty)}. {r.Explanation}"),
                LedgerTypes.BudgetChecked when Read<BudgetCheckedPayload>(entry) is { Check: { } c } p =>
                    (null, $"{p.ActionType}: {(c.Allowed ? "within budget" : "budget exhausted")} ({c.Detail})."),
                LedgerTypes.KillSwitchChecked when Read<KillSwitchCheckedPayload>(entry) is { } p =>
                    (null, $"{p.ActionType}: {(p.Stopped ? "stopped by a kill switch" : "no kill switch engaged")} ({p.Moment})."),
                LedgerTypes.ActionExecuted or LedgerTypes.ActionFailed when Read<ActionResultPayload>(entry) is { } p => p.Action is { } a
                    ? (null, $"{a.ActionType} {Code(a.Status)}{(a.Autonomous ? " autonomously" : string.Empty)}: {a.Detail}")
                    : (null, p.Detail),
                LedgerTypes.ProposalResolved when Read<ProposalResolvedPayload>(entry) is { } p => (p.Reason, $"Proposal {p.Resolution}."),
                LedgerTypes.OutcomeRecorded when Read<OutcomeRecordedPayload>(entry) is { } p => (null, $"Outcome {(p.Outcome is { } o ? Code(o) : "unknown")}."),
                _ => (null, null),
            };
        }
        catch (JsonException)
        {
            // An entry written in another shape still appears in the chain, without a summary.
            return (null, null);
        }
    }

    private static T? Read<T>(LedgerEntry entry) => JsonSerializer.Deserialize<T>(entry.Payload, LedgerJson.Options);

    private static string Code<T>(T value)
        where T : struct, Enum => WireName.Of(value);
}

using System.Text.Json.Nodes;

namespace Autonomy.Ledger;

/// <summary>One step of a run: which entry, and in a sentence what it decided.</summary>
public sealed record RunStep(string EntryId, string Type, DateTimeOffset At, string StreamId, long Seq, string Actor, string? Reason, string? Summary);

/// <summary>An entry's payload as the run saw or decided it.</summary>
public sealed record RunItem(string EntryId, string Type, DateTimeOffset At, JsonNode? Payload);

/// <summary>
/// The answer to "why did the system do this?" (<see cref="Why"/>: the chain of steps), "what did it know?"
/// (<see cref="Knew"/>: the signals and trigger, the cost gate's inputs, the engine's proposals and what they used)
/// and "which policy allowed it?" (<see cref="Policy"/>: every policy evaluation with its version, rule, parameters
/// and config version, and the budget, kill-switch and human checks that followed).
/// </summary>
public sealed record RunExplanation(string RunId, IReadOnlyList<RunStep> Why, IReadOnlyList<RunItem> Knew, IReadOnlyList<RunItem> Policy)
{
    private static readonly HashSet<string> KnewTypes =
        [LedgerTypes.SignalIngested, LedgerTypes.TriggerFired, LedgerTypes.CostGate, LedgerTypes.DecisionProposed];

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
            var obj = payload as JsonObject ?? [];
            why.Add(new RunStep(entry.EntryId, entry.Type, entry.At, entry.StreamId, entry.Seq, entry.Actor, Reason(obj), Summary(entry.Type, obj)));
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

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static string? Reason(JsonObject payload) =>
        Text(payload["reason"]) ?? Text((payload["result"] as JsonObject)?["reason"]);

    private static string? Summary(string type, JsonObject p) => type switch
    {
        LedgerTypes.TriggerFired => $"Run started by {Text(p["triggerType"])}.",
        LedgerTypes.CostGate => $"Cost gate: {Text(p["verdict"])} ({Text(p["reason"])}). {Text(p["explanation"])}",
        LedgerTypes.DecisionProposed => $"{Text(p["engine"])} engine proposed {(p["proposals"] as JsonArray)?.Count ?? 0} action(s).",
        LedgerTypes.PolicyEvaluated when p["result"] is JsonObject r =>
            $"{Text(p["actionType"])}: {Text(r["decision"])} ({Text(r["reason"])}, rule {Text(r["rule"])}, {Text(r["policyVersion"])}). {Text(r["explanation"])}",
        LedgerTypes.BudgetChecked when p["check"] is JsonObject c =>
            $"{Text(p["actionType"])}: {(c["allowed"] is JsonValue a && a.TryGetValue(out bool ok) && ok ? "within budget" : "budget exhausted")} ({Text(c["detail"])}).",
        LedgerTypes.KillSwitchChecked =>
            $"{Text(p["actionType"])}: {(p["stopped"] is JsonValue s && s.TryGetValue(out bool stopped) && stopped ? "stopped by a kill switch" : "no kill switch engaged")}.",
        LedgerTypes.ActionExecuted or LedgerTypes.ActionFailed when p["action"] is JsonObject a =>
            $"{Text(a["actionType"])} {Text(a["status"])}{(a["autonomous"] is JsonValue au && au.TryGetValue(out bool auto) && auto ? " autonomously" : string.Empty)}: {Text(a["detail"])}",
        LedgerTypes.ProposalResolved => $"Proposal {Text(p["resolution"])}.",
        LedgerTypes.OutcomeRecorded => $"Outcome {Text(p["outcome"])}.",
        _ => Text(p["explanation"]),
    };
}

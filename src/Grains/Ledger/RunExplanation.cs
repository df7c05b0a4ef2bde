using System.Text.Json.Nodes;

namespace Autonomy.Ledger;

/// <summary>One step of a run as the explanation tells it.</summary>
public sealed record RunStep(string EntryId, string StreamId, long Seq, string Type, DateTimeOffset At, string Actor, string? Summary);

/// <summary>
/// The answer to "why did the system do this?" (the chain of steps), "what did it know?" (the signals, the
/// account's trigger and cost-gate inputs, the engine's proposals) and "which policy allowed it?" (every policy
/// evaluation with its version, rule, parameters and config version, and the budget and kill-switch checks).
/// </summary>
public sealed record RunExplanation(string RunId, IReadOnlyList<RunStep> Why, JsonObject Knew, JsonArray Policy)
{
    /// <summary>Builds the explanation from a run's entries in ledger order; null when the run has none.</summary>
    public static RunExplanation? Build(string runId, IReadOnlyList<LedgerEntry> entries)
    {
        if (entries.Count == 0)
        {
            return null;
        }

        var why = new List<RunStep>();
        var knew = new JsonObject();
        var policy = new JsonArray();
        foreach (var entry in entries)
        {
            var payload = JsonNode.Parse(entry.Payload) as JsonObject ?? [];
            why.Add(new RunStep(entry.EntryId, entry.StreamId, entry.Seq, entry.Type, entry.At, entry.Actor, Summary(entry.Type, payload)));
            switch (entry.Type)
            {
                case LedgerTypes.TriggerFired:
                    knew["trigger"] = payload.DeepClone();
                    break;
                case LedgerTypes.CostGate:
                    knew["costGate"] = payload.DeepClone();
                    break;
                case LedgerTypes.DecisionProposed:
                    knew["decision"] = payload.DeepClone();
                    break;
                case LedgerTypes.PolicyEvaluated or LedgerTypes.BudgetChecked or LedgerTypes.KillSwitchChecked or LedgerTypes.ProposalResolved:
                    var step = (JsonObject)payload.DeepClone();
                    step["step"] = entry.Type;
                    policy.Add(step);
                    break;
            }
        }

        return new RunExplanation(runId, why, knew, policy);
    }

    private static string? Summary(string type, JsonObject payload)
    {
        string? Text(string name) => payload[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        return type switch
        {
            LedgerTypes.PolicyEvaluated when payload["result"] is JsonObject r =>
                $"{Text("actionType")}: {r["decision"]} ({r["reason"]}, rule {r["rule"]}) — {r["explanation"]}",
            LedgerTypes.CostGate => $"{Text("verdict")} ({Text("reason")}) — {Text("explanation")}",
            LedgerTypes.BudgetChecked when payload["check"] is JsonObject c => $"{Text("actionType")}: {(c["allowed"]?.GetValue<bool>() == true ? "within budget" : "budget exhausted")} — {c["detail"]}",
            LedgerTypes.KillSwitchChecked => $"{Text("actionType")}: {(payload["stopped"]?.GetValue<bool>() == true ? "stopped by a kill switch" : "no kill switch engaged")}",
            LedgerTypes.TriggerFired => $"Run started by {Text("triggerType")}",
            LedgerTypes.ActionExecuted or LedgerTypes.ActionFailed when payload["action"] is JsonObject a => $"{a["actionType"]} {a["status"]}: {a["detail"]}",
            LedgerTypes.ProposalResolved => $"{Text("resolution")}",
            LedgerTypes.OutcomeRecorded => $"Outcome {Text("outcome")}",
            _ => Text("explanation") ?? Text("reason"),
        };
    }
}

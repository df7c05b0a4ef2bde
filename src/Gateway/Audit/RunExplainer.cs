using System.Text.Json.Nodes;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Ledger;

namespace Autonomy.Gateway.Audit;

/// <summary>
/// Answers the auditor's three questions about one decision run from its ledger entries: why (the chain of
/// steps), what it knew (the signals, trigger and proposals it saw) and which policy allowed or stopped it
/// (policy and budget results with version, rule and parameters). Pure: entries in, explanation out.
/// </summary>
public static class RunExplainer
{
    private static readonly string[] KnewTypes = ["SIGNAL_INGESTED", "TRIGGER_FIRED", "DECISION_PROPOSED"];
    private static readonly string[] PolicyTypes = ["POLICY_EVALUATED", "BUDGET_CHECKED"];

    /// <summary>The explanation of a run, or null when the run has no entries.</summary>
    public static RunExplanationResponse? Explain(string runId, IReadOnlyList<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return null;
        }

        var ordered = entries.OrderBy(e => e.At).ThenBy(e => e.StreamId, StringComparer.Ordinal).ThenBy(e => e.Seq).ToList();
        var why = ordered.Select(e =>
        {
            var payload = GatewayJson.Node(e.Payload) as JsonObject;
            return new RunStep(e.EntryId, e.Type, e.At, e.StreamId, e.Seq, e.Actor, Text(payload, "reason"), Text(payload, "explanation"));
        }).ToList();
        var knew = ordered.Where(e => KnewTypes.Contains(e.Type)).Select(Item).ToList();
        var policy = ordered.Where(e => PolicyTypes.Contains(e.Type)).Select(Item).ToList();
        return new RunExplanationResponse(runId, why, knew, policy);
    }

    private static RunItem Item(LedgerEntry e) => new(e.EntryId, e.Type, e.At, GatewayJson.Node(e.Payload));

    private static string? Text(JsonObject? payload, string name) =>
        payload?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>GET .../ledger/runs/{runId}/explanation.</summary>
public sealed record RunExplanationResponse(string RunId, IReadOnlyList<RunStep> Why, IReadOnlyList<RunItem> Knew, IReadOnlyList<RunItem> Policy);

/// <summary>One step of the run's chain, with the reason and explanation its entry recorded.</summary>
public sealed record RunStep(string EntryId, string Type, DateTimeOffset At, string StreamId, long Seq, string Actor, string? Reason, string? Explanation);

/// <summary>An entry's payload, as the run saw or decided it.</summary>
public sealed record RunItem(string EntryId, string Type, DateTimeOffset At, JsonNode? Payload);

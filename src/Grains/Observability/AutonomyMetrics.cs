using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Autonomy;

/// <summary>Autonomy's traces and meters: one ActivitySource and one Meter, both named "Autonomy".</summary>
public static class AutonomyMetrics
{
    public const string Name = "Autonomy";

    /// <summary>The tag that names a tenant. Exported only when <c>Autonomy:Metrics:TenantLabels</c> is true (<see cref="Telemetry"/>).</summary>
    public const string TenantTag = "tenant";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    /// <summary>
    /// Every instrument that records <see cref="TenantTag"/>, with the tags it keeps when tenant labels are off. An
    /// instrument that adds the tenant tag must be listed here, or tenant ids leak into <c>/metrics</c>
    /// (<c>TenantLabelTests</c> holds it).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> TenantTagged = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["autonomy.kill_switches.engaged"] = ["scope"],
    };

    private static readonly Counter<long> GateResults = Meter.CreateCounter<long>("autonomy.gate.results", description: "Cost gate results by verdict and reason");
    private static readonly Counter<long> Decisions = Meter.CreateCounter<long>("autonomy.policy.decisions", description: "Policy decisions by decision and reason");
    private static readonly Counter<long> Executions = Meter.CreateCounter<long>("autonomy.executions", description: "Executions by action type, autonomy and result");
    private static readonly Counter<long> BudgetUse = Meter.CreateCounter<long>("autonomy.budget.used", description: "Autonomous actions counted against budgets");
    private static readonly Counter<long> BudgetExhausted = Meter.CreateCounter<long>("autonomy.budget.exhausted", description: "Actions downgraded because a budget was used up");
    private static readonly Counter<long> Signals = Meter.CreateCounter<long>("autonomy.signals.accepted", description: "Signals accepted");
    private static readonly Counter<long> ReplayEntries = Meter.CreateCounter<long>("autonomy.account.replayed_entries", description: "Ledger entries an account re-read on activation because its snapshot had not caught up");
    private static readonly UpDownCounter<long> KillSwitches = Meter.CreateUpDownCounter<long>("autonomy.kill_switches.engaged", description: "Kill switches engaged (changes)");

    private static readonly Counter<long> GateDeferred = Meter.CreateCounter<long>("autonomy.gate.deferred", description: "Decision runs deferred (their signals held) by reason: the gate's and the engine's");
    private static readonly Counter<long> GateSkipped = Meter.CreateCounter<long>("autonomy.gate.skipped", description: "Decision runs skipped by the cost gate, by reason");
    private static readonly Counter<long> EngineCalls = Meter.CreateCounter<long>("autonomy.engine.calls", description: "Paid engine calls by engine and result");
    private static readonly Counter<long> EngineTokens = Meter.CreateCounter<long>("autonomy.engine.tokens", description: "Engine tokens reported by the endpoint, by kind (prompt, completion)");
    private static readonly Counter<double> EngineCost = Meter.CreateCounter<double>("autonomy.engine.cost", description: "Engine cost at the tenants' configured prices");
    private static readonly Counter<long> EngineRejected = Meter.CreateCounter<long>("autonomy.engine.rejected_proposals", description: "Engine proposals rejected by validation (never executed)");
    private static readonly Counter<long> EngineOverrun = Meter.CreateCounter<long>("autonomy.engine.token_overrun", description: "Tokens an engine call used beyond its reservation");
    private static readonly Counter<long> EngineFallbacks = Meter.CreateCounter<long>("autonomy.engine.fallbacks", description: "Runs the chat engine could not answer, by reason and the fallback taken (defer, playbook)");

    /// <summary>One gate result; every DEFER and SKIP is also counted on its own counter by reason.</summary>
    public static void Gate(string verdict, string reason)
    {
        GateResults.Add(1, new("verdict", verdict), new("reason", reason));
        if (verdict == "Defer")
        {
            Deferred(reason);
        }
        else if (verdict == "Skip")
        {
            GateSkipped.Add(1, new KeyValuePair<string, object?>("reason", Wire(reason)));
        }
    }

    /// <summary>One deferred run, by reason spelled as in the ledger (RUN_BUDGET_EXHAUSTED, ENGINE_TIMEOUT, ...).</summary>
    public static void Deferred(string reason) => GateDeferred.Add(1, new KeyValuePair<string, object?>("reason", Wire(reason)));

    private static string Wire(string reason) => System.Text.Json.JsonNamingPolicy.SnakeCaseUpper.ConvertName(reason);

    /// <summary>A proposal kept from the policy because its parameters failed its type's schema (counted with the engine's rejections).</summary>
    public static void ProposalScreenedOut(string actionType, string engine) =>
        EngineRejected.Add(1, new("reason", "PARAMETERS_OUT_OF_SCHEMA"), new("engine", engine), new("action_type", actionType));

    public static void EngineCalled(string engine, string result, long promptTokens, long completionTokens, double cost, int rejected, long overrun)
    {
        EngineCalls.Add(1, new("engine", engine), new("result", result));
        EngineTokens.Add(promptTokens, new KeyValuePair<string, object?>("kind", "prompt"));
        EngineTokens.Add(completionTokens, new KeyValuePair<string, object?>("kind", "completion"));
        EngineCost.Add(cost);
        if (rejected > 0)
        {
            EngineRejected.Add(rejected);
        }

        if (overrun > 0)
        {
            EngineOverrun.Add(overrun);
        }
    }

    public static void EngineFallback(string reason, string fallback) =>
        EngineFallbacks.Add(1, new("reason", reason), new("fallback", fallback));

    public static void Decision(string decision, string reason) =>
        Decisions.Add(1, new("decision", decision), new("reason", reason));

    public static void Execution(string actionType, bool autonomous, bool succeeded) =>
        Executions.Add(1, new("action_type", actionType), new("autonomous", autonomous), new("succeeded", succeeded));

    public static void BudgetUsed(string actionType) => BudgetUse.Add(1, new KeyValuePair<string, object?>("action_type", actionType));

    public static void BudgetDowngraded(string actionType) => BudgetExhausted.Add(1, new KeyValuePair<string, object?>("action_type", actionType));

    public static void SignalsAccepted(int count) => Signals.Add(count);

    public static void Replayed(int entries)
    {
        if (entries > 0)
        {
            ReplayEntries.Add(entries);
        }
    }

    public static void KillSwitchChanged(string tenantId, string scope, bool engaged) =>
        KillSwitches.Add(engaged ? 1 : -1, new(TenantTag, tenantId), new("scope", scope));
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Autonomy.Simulator;

/// <summary>One target of issue 8 as measured: what it asks, the figure, and whether it is met.</summary>
public sealed record TargetResult(string Target, double Value, bool Met);

/// <summary>What a simulation measured; <see cref="ToJson"/> is <c>report.json</c>.</summary>
public sealed class SimReport
{
    public int Accounts { get; set; }

    public int Days { get; set; }

    public int Seed { get; set; }

    public int Tenants { get; set; }

    public long Events { get; set; }

    public double ElapsedSeconds { get; set; }

    public long Signals { get; set; }

    public long Bursts { get; set; }

    public long Ticks { get; set; }

    public long EngineCalls { get; set; }

    public long BaselineEngineCalls { get; set; }

    public double EngineCallsShareOfBaseline { get; set; }

    /// <summary>Engine calls of runs started by signals, and by rituals.</summary>
    public long SignalRuns { get; set; }

    public long RitualRuns { get; set; }

    /// <summary>Signal runs whose window held a high-value signal, and those of low-value signals only (parked ones that added up).</summary>
    public long HighValueRuns { get; set; }

    public long LowValueRuns { get; set; }

    /// <summary>
    /// The fewest runs that decide every high-value trigger within 15 minutes: per account, the high-value triggers
    /// grouped greedily into 15-minute spans (one run at each span's end decides all of it; greedy is optimal for
    /// covering points with intervals). No engine, however clever, decides them all on time with fewer calls.
    /// </summary>
    public long HighValueFloor { get; set; }

    /// <summary><see cref="HighValueFloor"/> as a share of baseline (a), and engine calls as a multiple of the floor.</summary>
    public double FloorShareOfBaseline { get; set; }

    public double EngineCallsOverFloor { get; set; }

    /// <summary>The target: engine calls at most this multiple of <see cref="HighValueFloor"/>.</summary>
    public const double MaxOverFloor = 1.5;

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    public long Tokens => PromptTokens + CompletionTokens;

    public long BaselineTokens { get; set; }

    public double CostUsd { get; set; }

    public double BaselineCostUsd { get; set; }

    public double EngineCostUsd { get; set; }

    public double PullCostUsd { get; set; }

    public long HighValueTriggers { get; set; }

    public long HighValueDecidedWithin15m { get; set; }

    public long HighValueDecidedLater { get; set; }

    public long HighValueUndecided { get; set; }

    /// <summary>High-value signals the trigger suppressed (their type was cooling down after a run on it): not triggers.</summary>
    public long HighValueSuppressed { get; set; }

    public double HighValueDecidedWithin15mShare { get; set; }

    public long HeldByHourlyCap { get; set; }

    public long RitualsHeldByHourlyCap { get; set; }

    public long Pulls { get; set; }

    public long BaselinePulls { get; set; }

    public double PullsShareOfBaseline { get; set; }

    public long FreshPulls { get; set; }

    public long PullsDeferred { get; set; }

    public long PullsSkipped { get; set; }

    public long BecameHot { get; set; }

    public double MaxHotStalenessMinutes { get; set; }

    public long HotStalenessSamples { get; set; }

    public long BudgetOvershoots { get; set; }

    public SortedDictionary<string, long> GateNotAllowed { get; } = new(StringComparer.Ordinal);

    /// <summary>Engine calls by what started them: high-value windows, low-value ones by the account's tier, rituals with or without signals.</summary>
    public SortedDictionary<string, long> EngineCallsBy { get; } = new(StringComparer.Ordinal);

    public SimulationOptions? Options { get; set; }

    public List<TargetResult> Targets { get; } = [];

    /// <summary>Per simulated hour: engine calls, baseline (a) calls, pulls; accounts per tier at each hour's start.</summary>
    public long[] EngineSeries { get; set; } = [];

    public long[] BaselineSeries { get; set; } = [];

    /// <summary>Per simulated hour: the floor's spans that began in it (<see cref="HighValueFloor"/>).</summary>
    public long[] FloorSeries { get; set; } = [];

    public long[] PullSeries { get; set; } = [];

    public int[] HotSeries { get; set; } = [];

    public int[] WarmSeries { get; set; } = [];

    public int[] ColdSeries { get; set; } = [];

    /// <summary>High-value decision latency per minute (index 15: 15 minutes or more).</summary>
    public long[] LatencyMinutes { get; } = new long[16];

    /// <summary>Hot accounts' data age per minute when measured (index 30: 30 minutes or more).</summary>
    public long[] StalenessMinutes { get; } = new long[31];

    [JsonIgnore]
    public int Hours { get; set; }

    internal void InitSeries()
    {
        EngineSeries = new long[Hours];
        BaselineSeries = new long[Hours];
        FloorSeries = new long[Hours];
        PullSeries = new long[Hours];
        HotSeries = new int[Hours];
        WarmSeries = new int[Hours];
        ColdSeries = new int[Hours];
    }

    internal void Sample(int hour, int hot, int warm, int cold)
    {
        if (hour < Hours)
        {
            HotSeries[hour] = hot;
            WarmSeries[hour] = warm;
            ColdSeries[hour] = cold;
        }
    }

    internal void DecisionLatency(TimeSpan latency)
    {
        if (latency <= Simulation.DecisionDeadline)
        {
            HighValueDecidedWithin15m++;
        }
        else
        {
            HighValueDecidedLater++;
        }

        LatencyMinutes[Math.Clamp((int)latency.TotalMinutes, 0, 15)]++;
    }

    internal void HotStaleness(TimeSpan age)
    {
        HotStalenessSamples++;
        MaxHotStalenessMinutes = Math.Max(MaxHotStalenessMinutes, age.TotalMinutes);
        StalenessMinutes[Math.Clamp((int)age.TotalMinutes, 0, 30)]++;
    }

    internal void EngineCall(string key) => EngineCallsBy[key] = EngineCallsBy.GetValueOrDefault(key) + 1;


    internal void GateResult(string key) => GateNotAllowed[key] = GateNotAllowed.GetValueOrDefault(key) + 1;

    internal void Finish(SimulationOptions options, double elapsed)
    {
        Options = options;
        ElapsedSeconds = Math.Round(elapsed, 2);
        EngineCallsShareOfBaseline = Share(EngineCalls, BaselineEngineCalls);
        FloorShareOfBaseline = Share(HighValueFloor, BaselineEngineCalls);
        EngineCallsOverFloor = HighValueFloor == 0 ? 0 : Math.Round((double)EngineCalls / HighValueFloor, 3);
        PullsShareOfBaseline = Share(Pulls, BaselinePulls);
        HighValueDecidedWithin15mShare = HighValueTriggers == 0 ? 1 : Share(HighValueDecidedWithin15m, HighValueTriggers);
        MaxHotStalenessMinutes = Math.Round(MaxHotStalenessMinutes, 2);
        EngineCostUsd = Math.Round((PromptTokens * options.PromptPricePerMillion / 1e6) + (CompletionTokens * options.CompletionPricePerMillion / 1e6), 4);
        PullCostUsd = Math.Round(Pulls * options.PricePerPull, 4);
        CostUsd = Math.Round(EngineCostUsd + PullCostUsd, 4);
        var baselineCompletion = BaselineEngineCalls * 250;
        BaselineCostUsd = Math.Round(((BaselineTokens - baselineCompletion) * options.PromptPricePerMillion / 1e6) + (baselineCompletion * options.CompletionPricePerMillion / 1e6) + (BaselinePulls * options.PricePerPull), 4);
        Targets.Add(new("engine calls <= 1.5x the floor", EngineCallsOverFloor, HighValueFloor > 0 && EngineCallsOverFloor <= MaxOverFloor));
        Targets.Add(new(">= 99% of high-value triggers decided within 15 minutes", HighValueDecidedWithin15mShare, HighValueDecidedWithin15mShare >= 0.99));
        Targets.Add(new("pulls <= 20% of baseline (b)", PullsShareOfBaseline, PullsShareOfBaseline <= 0.20));
        Targets.Add(new("hot accounts' data never older than 15 minutes", MaxHotStalenessMinutes, MaxHotStalenessMinutes <= 15));
        Targets.Add(new("zero budget overshoot", BudgetOvershoots, BudgetOvershoots == 0));
        if (Accounts >= 100_000 && Days == 1)
        {
            Targets.Add(new("100,000 accounts x 1 day in under a minute", ElapsedSeconds, ElapsedSeconds < 60));
        }
    }

    /// <summary>What users give up for the cost the shipped rules measure (docs/budgets-and-cost.md, "What it costs users").</summary>
    public const string TradeOff =
        "a high-value signal that arrives within 14 minutes of the account's last run waits for the end of those 14 minutes (was 5); " +
        "heat no longer tips a run of signals alone, so a lone usage change on a hot account waits for more value, a high-value signal or a ritual; " +
        "website visits and usage changes wait up to an hour for a run to join; a daily brief runs for what is new only in proportion to its value " +
        "(a lone visit waits for more, or for the weekly review); a run must be worth 0.7 (was 0.65)";

    /// <summary>Engine calls over the floor for each simulated day (the floor's spans counted on the day they began).</summary>
    public IEnumerable<double> PerDayOverFloor()
    {
        for (var d = 0; d * 24 < EngineSeries.Length; d++)
        {
            var floor = FloorSeries.Skip(d * 24).Take(24).Sum();
            yield return floor == 0 ? 0 : Math.Round((double)EngineSeries.Skip(d * 24).Take(24).Sum() / floor, 3);
        }
    }

    private static double Share(long part, long whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 4);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string Summary() => string.Create(CultureInfo.InvariantCulture, $"""
        {Accounts:N0} accounts x {Days} day(s), seed {Seed}: {Events:N0} events in {ElapsedSeconds:0.0} s
        engine calls {EngineCalls:N0} vs baseline (a) {BaselineEngineCalls:N0}: {EngineCallsShareOfBaseline:P1} (runs with a high-value signal {HighValueRuns:N0}, low-value only {LowValueRuns:N0}, rituals {RitualRuns:N0})
        floor: {HighValueFloor:N0} calls ({FloorShareOfBaseline:P1} of baseline (a)) are the fewest that decide every high-value trigger within 15 minutes; engine calls are {EngineCallsOverFloor:0.00}x that
        tokens {Tokens:N0} vs {BaselineTokens:N0}; cost ${CostUsd:0.00} vs baseline ${BaselineCostUsd:0.00}
        high-value triggers {HighValueTriggers:N0}, decided within 15 min {HighValueDecidedWithin15m:N0} ({HighValueDecidedWithin15mShare:P2}), later {HighValueDecidedLater:N0}, undecided {HighValueUndecided:N0}
        pulls {Pulls:N0} vs baseline (b) {BaselinePulls:N0}: {PullsShareOfBaseline:P1} (deferred {PullsDeferred:N0}, skipped {PullsSkipped:N0}); hot accounts' data at most {MaxHotStalenessMinutes:0.0} min old
        engine calls by start: {string.Join("; ", EngineCallsBy.Select(e => $"{e.Key} {e.Value:N0}"))}
        engine calls over the floor per day: {string.Join(", ", PerDayOverFloor().Select(x => $"{x:0.00}x"))}
        what the shipped rules trade for it: {TradeOff}
        budget overshoots {BudgetOvershoots}
        targets: {string.Join("; ", Targets.Select(t => $"{t.Target}: {(t.Met ? "met" : "NOT met")}"))}
        """);
}

using System.Diagnostics;
using System.Globalization;
using Autonomy.Common;
using Autonomy.CostGate;
using Autonomy.Perception;
using Autonomy.Schedules;
using Autonomy.Triggers;

namespace Autonomy.Simulator;

internal enum EventKind : byte
{
    Signal,
    BurstStart,
    BurstSignal,
    Renewal,
    Wake,
    Tick,
    Pull,
    Hour,
}

internal readonly record struct SimEvent(int Account, EventKind Kind, int Version);

/// <summary>A tenant's counters, with the real core records: the run budget, the token and pull quotas, the connector's bucket.</summary>
internal sealed class SimTenant
{
    public RunBudgetCounter Runs = new(default, 0);
    public DailyQuota Tokens = DailyQuota.Empty;
    public DailyQuota Pulls = DailyQuota.Empty;
    public TokenBucket? Bucket;

    // Independent tallies of what was spent per day, to catch an overshoot the counters would hide.
    public long Day = -1;
    public long RunsSpent;
    public long TokensSpent;
    public long PullsSpent;
}

/// <summary>
/// The cost simulator: simulated time, one priority queue of next events (signals, bursts, trigger windows closing,
/// reminder ticks, pulls), and for every decision the real core rules of the engine (heat, the decision trigger, the
/// ritual planner, <see cref="DecisionCostGate"/> with <see cref="MarginalValue"/>, the run budget counter, the pull
/// planner, the token bucket, the daily quotas). The account grain's orchestration (when each rule is asked) is
/// mirrored here; no rule is copied. Baselines on the same inputs: (a) the engine on every trigger, (b) every account
/// polled at the hot cadence's maximum.
/// </summary>
public sealed class Simulation(SimulationOptions options)
{
    /// <summary>A Tuesday: a typical day (the weekly review of Monday 08:00 adds one run per account on Mondays).</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 3, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan DecisionDeadline = TimeSpan.FromMinutes(15);

    private static readonly TriggerRegistry Registry = TriggerRegistry.Default;
    private static readonly RitualConfig Rituals = RitualConfig.Default;
    private static readonly TickPeriods Ticks = TickPeriods.Default;
    private static readonly PullCadence Cadence = PullCadence.Default;
    private static readonly PullTuning Tuning = PullTuning.Default;
    private static readonly Throttle Throttle = Throttle.Default;

    private readonly PriorityQueue<SimEvent, long> _queue = new();
    private readonly SimReport _r = new();
    private SimAccount[] _accounts = [];
    private SimTenant[] _tenants = [];
    private long _signalIds;
    private long _clock = Start.UtcTicks;
    private int _hot;
    private int _warm;

    public SimReport Run()
    {
        var wall = Stopwatch.StartNew();
        var end = Start.AddDays(options.Days);
        _r.Accounts = options.Accounts;
        _r.Days = options.Days;
        _r.Seed = options.Seed;
        _r.Tenants = ((options.Accounts - 1) / options.AccountsPerTenant) + 1;
        _r.Hours = options.Days * 24;
        _r.InitSeries();
        _tenants = new SimTenant[_r.Tenants];
        for (var t = 0; t < _tenants.Length; t++)
        {
            _tenants[t] = new SimTenant();
        }

        _accounts = new SimAccount[options.Accounts];
        for (var i = 0; i < _accounts.Length; i++)
        {
            _accounts[i] = Population.Create(i, options.Seed, options.AccountsPerTenant, Start);
            Begin(_accounts[i], end);
        }

        for (var h = 0; h < _r.Hours; h++)
        {
            _queue.Enqueue(new SimEvent(-1, EventKind.Hour, h), Start.AddHours(h).UtcTicks);
        }

        var events = 0L;
        var lastPrint = 0L;
        while (_queue.TryDequeue(out var e, out var at) && at < end.UtcTicks)
        {
            _clock = at;
            var now = new DateTimeOffset(at, TimeSpan.Zero);
            Dispatch(e, now, end);
            if ((++events & 0xFFFF) == 0 && options.Progress && wall.ElapsedMilliseconds - lastPrint > 500)
            {
                lastPrint = wall.ElapsedMilliseconds;
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                    $"\r[sim] day {(now - Start).TotalDays:0.00}/{options.Days}  events {events / 1e6:0.0}M  hot {_hot}  engine {_r.EngineCalls:N0} (baseline {_r.BaselineEngineCalls:N0})  pulls {_r.Pulls:N0}  {wall.Elapsed.TotalSeconds:0.0}s   "));
            }
        }

        foreach (var a in _accounts)
        {
            if (a.Tier == HeatTier.Hot)
            {
                Stale(a, end);
            }

            _r.HighValueUndecided += a.PendingHighValue?.Count ?? 0;
        }

        _r.BaselinePulls = (long)(options.Accounts * (end - Start).Ticks / Cadence.Hot.Max.Ticks);
        _r.Events = events;
        _r.Finish(options, wall.Elapsed.TotalSeconds);
        if (options.Progress)
        {
            Console.Error.WriteLine();
        }

        return _r;
    }

    private void Begin(SimAccount a, DateTimeOffset end)
    {
        a.Tier = HeatTier.Cold;
        ObserveTier(a, Start);
        a.TickPeriod = Heat.TickPeriod(a.Tier, Ticks);
        At(a, EventKind.Tick, a.TickVersion, Start + (a.TickPeriod * a.Random.Next()));
        a.NextRitualAt = RitualPlanner.Next(Rituals, a.Key, a.RenewalDate, Start) ?? DateTimeOffset.MaxValue;
        Next(a, EventKind.Signal, a.SignalsPerHour, Start, end);
        Next(a, EventKind.BurstStart, a.BurstsPerDay / 24, Start, end);
        a.Pull = PullPlanner.Start(Cadence, a.Tier, PullPlanner.Phase($"{a.Key}/crm"), Start);
        At(a, EventKind.Pull, a.PullVersion, a.Pull.NextPullAt);
        if (a.RenewalDate is { } renewal)
        {
            var opens = new DateTimeOffset(renewal.AddDays(-90).ToDateTime(new TimeOnly(8, 0)), TimeSpan.Zero) + TimeSpan.FromMinutes(60 * a.Random.Next());
            if (opens >= Start && opens < end)
            {
                At(a, EventKind.Renewal, 0, opens);
            }
        }
    }

    private void Dispatch(SimEvent e, DateTimeOffset now, DateTimeOffset end)
    {
        if (e.Kind == EventKind.Hour)
        {
            _r.Sample(e.Version, _hot, _warm, options.Accounts - _hot - _warm);
            return;
        }

        var a = _accounts[e.Account];
        switch (e.Kind)
        {
            case EventKind.Signal:
                Signal(a, SignalKind.Pick(SignalKind.Mix, a.Random.Next()), now);
                Next(a, EventKind.Signal, a.SignalsPerHour, now, end);
                break;
            case EventKind.BurstStart:
                a.BurstLeft = 10 + (int)(a.Random.Next() * 30);
                _r.Bursts++;
                At(a, EventKind.BurstSignal, 0, now);
                Next(a, EventKind.BurstStart, a.BurstsPerDay / 24, now, end);
                break;
            case EventKind.BurstSignal:
                Signal(a, SignalKind.Pick(SignalKind.BurstMix, a.Random.Next()), now);
                if (--a.BurstLeft > 0)
                {
                    At(a, EventKind.BurstSignal, 0, now + TimeSpan.FromSeconds(5 + (a.Random.Next() * 85)));
                }

                break;
            case EventKind.Renewal:
                Signal(a, SignalKind.RenewalWindowOpened, now);
                break;
            case EventKind.Wake when e.Version == a.WakeVersion:
                Poll(a, now);
                break;
            case EventKind.Tick when e.Version == a.TickVersion:
                Tick(a, now);
                break;
            case EventKind.Pull when e.Version == a.PullVersion:
                PullIfDue(a, now);
                break;
        }
    }

    /// <summary>The ingest path: heat, the trigger, the reminder's period, the pull plan, the wake timer.</summary>
    private void Signal(SimAccount a, SignalKind kind, DateTimeOffset now)
    {
        _r.Signals++;
        if (Registry.Types.ContainsKey(kind.Type))
        {
            // Baseline (a): every trigger is an engine call.
            _r.BaselineEngineCalls++;
            _r.BaselineTokens += TokenModel.Mean(1);
            _r.BaselineSeries[Hour(now)]++;
        }

        a.Heat = Heat.OnSignal(a.Heat, kind.Value, now);
        a.LastSignalAt = now;
        a.LastUpstreamAt = now;
        var outcome = DecisionTrigger.OnSignal(Registry, a.Trigger, new SignalRef("s" + (++_signalIds).ToString(CultureInfo.InvariantCulture), kind.Type, now, kind.Value), now);
        a.Trigger = outcome.State;
        if (kind.HighValue)
        {
            if (outcome.Verdict == TriggerVerdict.Accepted)
            {
                _r.HighValueTriggers++;
                (a.PendingHighValue ??= []).Add(now);
                if (a.FloorSpanEnds is not { } spanEnds || now >= spanEnds)
                {
                    _r.HighValueFloor++;
                    _r.FloorSeries[Hour(now)]++;
                    a.FloorSpanEnds = now + DecisionDeadline;
                }
            }
            else
            {
                _r.HighValueSuppressed++;
            }
        }

        ObserveTier(a, now);
        EnsureTick(a, now);
        PlanPull(a, now);
        ScheduleWake(a, now);
    }

    /// <summary>The account grain's PollAsync: close a due window (or hold it at the hourly cap) and run it.</summary>
    private void Poll(SimAccount a, DateTimeOffset now)
    {
        if (a.Trigger.Window is null or { IsParked: true } || (a.DeferredUntil is { } deferred && now < deferred))
        {
            ScheduleWake(a, now);
            return;
        }

        var poll = DecisionTrigger.Poll(Registry, a.Trigger, now);
        if (poll.CapReached)
        {
            _r.HeldByHourlyCap++;
            a.Trigger = poll.State;
            a.DeferredUntil = poll.WakeAt;
        }
        else if (poll.Fired is { } window)
        {
            a.Trigger = poll.State;
            a.DeferredUntil = null;
            Decide(a, window, now);
        }
        else if (a.DeferredUntil is not null)
        {
            a.Trigger = poll.State;
            a.DeferredUntil = null;
        }

        ScheduleWake(a, now);
    }

    /// <summary>The reminder tick: heat, due rituals, the heartbeat poll, due pulls, the period that follows heat.</summary>
    private void Tick(SimAccount a, DateTimeOffset now)
    {
        _r.Ticks++;
        a.Heat = Heat.At(a.Heat, now);
        ObserveTier(a, now);
        if (now >= a.NextRitualAt)
        {
            foreach (var tick in RitualPlanner.Plan(Rituals, a.Key, a.ScheduledSince, a.Handled, a.RenewalDate, runInFlight: false, now))
            {
                a.Handled = a.Handled.SetItem(tick.Ritual, tick.ScheduledAt);
                if (tick.Disposition != TickDisposition.Fire)
                {
                    continue;
                }

                _r.BaselineEngineCalls++;
                _r.BaselineTokens += TokenModel.Mean(1);
                _r.BaselineSeries[Hour(now)]++;
                var (trigger, started) = DecisionTrigger.StartScheduledRun(Registry, a.Trigger, now);
                if (!started)
                {
                    _r.RitualsHeldByHourlyCap++;
                    continue;
                }

                // The ritual's run takes the parked low-value signals along (the grain's RunScheduledAsync).
                var (taken, window) = DecisionTrigger.TakeParked(trigger, TriggerWindow.Scheduled(new SignalRef(tick.OccurrenceKey, tick.Ritual, now, MarginalValue.RitualValue(tick.Ritual)), now));
                a.Trigger = taken;
                Decide(a, window, now);
            }

            a.NextRitualAt = RitualPlanner.Next(Rituals, a.Key, a.RenewalDate, now) ?? DateTimeOffset.MaxValue;
        }

        Poll(a, now);
        PullIfDue(a, now);
        var period = Heat.TickPeriod(a.Tier, Ticks);
        if (period != a.TickPeriod)
        {
            a.TickPeriod = period;
            a.TickVersion++;
        }

        At(a, EventKind.Tick, a.TickVersion, now + a.TickPeriod);
    }

    /// <summary>The cost gate as the account grain asks it, the run budget, the token reservation; then the engine.</summary>
    private void Decide(SimAccount a, TriggerWindow window, DateTimeOffset now)
    {
        var t = Tenant(a, now);
        // The completed gate (issue 8 item 4): marginal value of the window now, tokens reserved before runs, both DEFER when spent.
        var value = MarginalValue.Of(window, Heat.At(a.Heat, now).Score, a.LastRunAt, now).Value;
        var digest = window.Signals[0].Id + "#" + window.SignalCount.ToString(CultureInfo.InvariantCulture);
        var gate = DecisionCostGate.EvaluateLocal(new GateInput(value, options.MinMarginalValue, a.LastRunAt, TimeSpan.FromMinutes(options.MinRunIntervalMinutes), digest, a.LastDigest, now));
        var tokenSkip = false;
        if (gate.Verdict == GateVerdict.Allow)
        {
            (t.Tokens, var tokens) = t.Tokens.Reserve(options.TokensPerDay, options.TokensReservedPerCall, now);
            if (!tokens.Granted)
            {
                gate = new GateResult(GateVerdict.Defer, GateReason.TokenBudgetExhausted, "The tenant's tokens for today are spent.", tokens.ResetsAt);
            }
            else
            {
                (t.Runs, var reservation) = t.Runs.Reserve(options.RunsPerDay, now);
                gate = DecisionCostGate.WithBudget(gate, reservation);
                if (reservation.Granted && ++t.RunsSpent > options.RunsPerDay)
                {
                    _r.BudgetOvershoots++;
                }

                if (!reservation.Granted)
                {
                    t.Tokens = t.Tokens.Release(options.TokensReservedPerCall, DailyQuota.DayOf(now));
                }
            }
        }

        gate = DecisionCostGate.SpreadRefill(gate, PullPlanner.Phase($"{a.Key}/refill"));

        var signalWindow = !window.StartedBySchedule || window.SignalCount > 1;
        if (gate.Verdict == GateVerdict.Allow && !tokenSkip)
        {
            var (prompt, completion) = TokenModel.Call(window.SignalCount, ref a.Random);
            t.Tokens = t.Tokens.Release(options.TokensReservedPerCall - (prompt + completion), DailyQuota.DayOf(now));
            t.TokensSpent += prompt + completion;
            if (t.TokensSpent > options.TokensPerDay)
            {
                _r.BudgetOvershoots++;
            }

            _r.EngineCalls++;
            _r.PromptTokens += prompt;
            _r.CompletionTokens += completion;
            _r.EngineSeries[Hour(now)]++;
            if (window.StartedBySchedule)
            {
                _r.RitualRuns++;
                var ritual = window.Signals.First(s => MarginalValue.IsRitual(s.Type)).Type;
                _r.EngineCall($"ritual {ritual}, {(window.SignalCount > 1 ? "with signals" : a.LastRunAt is null ? "alone, account never ran" : "alone")}");
            }
            else
            {
                _r.SignalRuns++;
                if (window.Signals.Any(s => s.Value >= SignalKind.HighValueThreshold))
                {
                    _r.HighValueRuns++;
                    _r.EngineCall(a.LastHighValueRunAt is { } hv && now - hv <= DecisionDeadline ? "high-value, within 15 min of the last high-value run" : "high-value");
                    a.LastHighValueRunAt = now;
                }
                else
                {
                    _r.LowValueRuns++;
                    _r.EngineCall($"low-value only, {WireName.Of(a.Tier)} account");
                }
            }

            a.LastRunAt = now;
            a.LastDigest = digest;
            if (signalWindow && a.PendingHighValue is { Count: > 0 } pending)
            {
                foreach (var arrived in pending)
                {
                    _r.DecisionLatency(now - arrived);
                }

                pending.Clear();
            }

            return;
        }

        _r.GateResult(tokenSkip ? "SKIP TOKEN_BUDGET_EXHAUSTED" : $"{WireName.Of(gate.Verdict)} {WireName.Of(gate.Reason)}");

        // Nothing reached the engine: the run's slot under the hourly cap is given back (the grain's Release).
        a.Trigger = DecisionTrigger.Release(a.Trigger, now);
        if (gate.Verdict == GateVerdict.Defer)
        {
            a.Trigger = DecisionTrigger.Hold(a.Trigger, window, gate.RetryAt!.Value);
            a.DeferredUntil = gate.RetryAt;
            return;
        }

        if (gate.Reason == GateReason.LowMarginalValue)
        {
            // Parked: the signals wait for the next signal or ritual; their high-value triggers stay pending.
            a.Trigger = DecisionTrigger.Park(a.Trigger, window, MarginalValue.IsRitual, now);
            return;
        }

        // A window skipped as a duplicate is dropped: its high-value triggers go undecided.
        if (signalWindow && a.PendingHighValue is { Count: > 0 } dropped)
        {
            _r.HighValueUndecided += dropped.Count;
            dropped.Clear();
        }
    }

    /// <summary>The pull path of the account grain: planned, throttled per tenant and connector, budgeted per tenant, then pulled.</summary>
    private void PullIfDue(SimAccount a, DateTimeOffset now)
    {
        PlanPull(a, now);
        if (!PullPlanner.IsDue(a.Pull, now))
        {
            return;
        }

        var t = Tenant(a, now);
        t.Bucket ??= TokenBucket.Full(Throttle, now);
        (t.Bucket, var throttle) = t.Bucket.Take(Throttle, now);
        if (!throttle.Granted)
        {
            _r.PullsDeferred++;
            Repull(a, PullPlanner.Deferred(a.Pull, throttle.RetryAt!.Value + (PullPlanner.ThrottleSpread * PullPlanner.Phase($"{a.Key}/crm/retry"))));
            return;
        }

        (t.Pulls, var budget) = t.Pulls.Reserve(options.PullsPerDay, 1, now);
        if (!budget.Granted)
        {
            _r.PullsSkipped++;
            Repull(a, PullPlanner.Skipped(a.Pull, budget.ResetsAt + (PullPlanner.BudgetSpread * PullPlanner.Phase($"{a.Key}/crm/budget"))));
            return;
        }

        if (++t.PullsSpent > options.PullsPerDay)
        {
            _r.BudgetOvershoots++;
        }

        _r.Pulls++;
        _r.PullSeries[Hour(now)]++;
        a.Heat = Heat.At(a.Heat, now);
        ObserveTier(a, now);
        if (a.Tier == HeatTier.Hot)
        {
            Stale(a, now);
        }

        var silent = 1 - Math.Exp(-a.SilentPerHour * (now - a.DataAt).TotalHours);
        var fresh = a.LastUpstreamAt > a.DataAt || a.Random.Next() < silent;
        _r.FreshPulls += fresh ? 1 : 0;
        a.DataAt = now;
        Repull(a, PullPlanner.Completed(a.Pull, Cadence, a.Tier, Tuning, fresh, now));
    }

    /// <summary>The grain's Planned: the cadence for the tier now, pushed signals counted; the pull timer follows it.</summary>
    private void PlanPull(SimAccount a, DateTimeOffset now)
    {
        var p = PullPlanner.Retier(a.Pull, Cadence, a.Tier);
        if (a.LastSignalAt is { } at)
        {
            p = PullPlanner.OnSignal(p, Cadence, a.Tier, Tuning, at);
        }

        if (p.NextPullAt != a.Pull.NextPullAt)
        {
            Repull(a, p);
        }
        else
        {
            a.Pull = p;
        }

        _ = now;
    }

    private void Repull(SimAccount a, PullState next)
    {
        a.Pull = next;
        a.PullVersion++;
        At(a, EventKind.Pull, a.PullVersion, next.NextPullAt);
    }

    /// <summary>Tier transitions: counted, and a hot account's freshness is measured from the moment it turned hot.</summary>
    private void ObserveTier(SimAccount a, DateTimeOffset now)
    {
        var tier = Heat.At(a.Heat, now).Tier;
        if (tier == a.Tier && a.HotSince is not null == (tier == HeatTier.Hot))
        {
            return;
        }

        Count(a.Tier, -1);
        Count(tier, +1);
        if (tier == HeatTier.Hot && a.HotSince is null)
        {
            a.HotSince = now;
            _r.BecameHot++;
        }
        else if (tier != HeatTier.Hot && a.HotSince is not null)
        {
            Stale(a, now);
            a.HotSince = null;
        }

        a.Tier = tier;
    }

    private void Count(HeatTier tier, int delta)
    {
        if (tier == HeatTier.Hot)
        {
            _hot += delta;
        }
        else if (tier == HeatTier.Warm)
        {
            _warm += delta;
        }
    }

    private void Stale(SimAccount a, DateTimeOffset now)
    {
        var since = a.HotSince is { } h && h > a.DataAt ? h : a.DataAt;
        _r.HotStaleness(now - since);
    }

    /// <summary>EnsureReminderAsync: the reminder is re-registered (first tick a period from now) when the tier's period changes.</summary>
    private void EnsureTick(SimAccount a, DateTimeOffset now)
    {
        var period = Heat.TickPeriod(a.Tier, Ticks);
        if (period == a.TickPeriod)
        {
            return;
        }

        a.TickPeriod = period;
        a.TickVersion++;
        At(a, EventKind.Tick, a.TickVersion, now + period);
    }

    private void ScheduleWake(SimAccount a, DateTimeOffset now)
    {
        DateTimeOffset? due = a.Trigger.Window is not { IsParked: false } w ? null : a.DeferredUntil ?? w.DueAt;
        if (due is { } d)
        {
            a.WakeVersion++;
            At(a, EventKind.Wake, a.WakeVersion, d > now ? d : now);
        }
    }

    private void Next(SimAccount a, EventKind kind, double perHour, DateTimeOffset now, DateTimeOffset end)
    {
        var wait = a.Random.Exponential(perHour);
        if (wait < end - now)
        {
            At(a, kind, 0, now + wait);
        }
    }

    /// <summary>Queues an event; one due in the past (a pull overdue after a tier change) happens now, as a timer due in the past would.</summary>
    private void At(SimAccount a, EventKind kind, int version, DateTimeOffset at) => _queue.Enqueue(new SimEvent(a.Index, kind, version), Math.Max(at.UtcTicks, _clock));

    private SimTenant Tenant(SimAccount a, DateTimeOffset now)
    {
        var t = _tenants[a.Tenant];
        var day = now.UtcTicks / TimeSpan.TicksPerDay;
        if (t.Day != day)
        {
            t.Day = day;
            t.RunsSpent = t.TokensSpent = t.PullsSpent = 0;
        }

        return t;
    }

    private int Hour(DateTimeOffset now) => Math.Min(_r.Hours - 1, (int)((now - Start).Ticks / TimeSpan.TicksPerHour));
}

/// <summary>What an engine call costs in tokens: a prompt that grows with the window's signals, a completion of a few proposals.</summary>
internal static class TokenModel
{
    public const int BasePrompt = 1_200;
    public const int PromptPerSignal = 60;
    public const int MaxSignalsInPrompt = 20;

    public static (int Prompt, int Completion) Call(int signals, ref Rng random) =>
        (BasePrompt + (PromptPerSignal * Math.Min(signals, MaxSignalsInPrompt)), 150 + (int)(random.Next() * 200));

    public static long Mean(int signals) => BasePrompt + (PromptPerSignal * Math.Min(signals, MaxSignalsInPrompt)) + 250;
}

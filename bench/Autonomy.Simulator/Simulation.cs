using System.Diagnostics;
using System.Globalization;
using Autonomy.CostGate;
using Autonomy.Perception;
using Autonomy.Schedules;
using Autonomy.Triggers;

namespace Autonomy.Simulator;

/// <summary>
/// The cost simulator: simulated time, one priority queue of next events (signals, bursts, trigger windows closing,
/// reminder ticks, pulls), and for every decision the real core rules of the engine (heat, the decision trigger, the
/// ritual planner, <see cref="DecisionCostGate"/> with <see cref="MarginalValue"/>, the run budget counter, the pull
/// planner, the token bucket, the daily quotas). The account grain's orchestration (when each rule is asked) is
/// mirrored here; no rule is copied. Baselines on the same inputs: (a) the engine on every trigger, (b) every account
/// polled at the hot cadence's maximum.
/// </summary>
public sealed partial class Simulation(SimulationOptions options)
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

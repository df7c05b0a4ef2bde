using System.Collections.Immutable;
using Autonomy.Connectors;

namespace Autonomy.Perception;

/// <summary>The shortest and the longest time between two pulls of one account while it is in one heat tier.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullBounds")]
public sealed record PullBounds([property: Id(0)] TimeSpan Min, [property: Id(1)] TimeSpan Max)
{
    public TimeSpan Clamp(TimeSpan interval) => interval < Min ? Min : interval > Max ? Max : interval;
}

/// <summary>A connector's pull cadence bounds per heat tier: hot accounts are pulled often, cold ones rarely.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullCadence")]
public sealed record PullCadence(
    [property: Id(0)] PullBounds Hot,
    [property: Id(1)] PullBounds Warm,
    [property: Id(2)] PullBounds Cold)
{
    /// <summary>Hot 5 to 15 minutes (so a hot account's data is never older than 15 minutes), warm 30 minutes to 2 hours, cold 2 to 12 hours.</summary>
    public static readonly PullCadence Default = new(
        new(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15)),
        new(TimeSpan.FromMinutes(30), TimeSpan.FromHours(2)),
        new(TimeSpan.FromHours(2), TimeSpan.FromHours(12)));

    public PullBounds For(HeatTier tier) => tier switch
    {
        HeatTier.Hot => Hot,
        HeatTier.Warm => Warm,
        _ => Cold,
    };
}

/// <summary>
/// How the cadence adapts. An interval lengthens (× <see cref="Lengthen"/>) only after <see cref="LengthenAfter"/>
/// pulls in a row brought nothing new, and shortens (× <see cref="Shorten"/>) after <see cref="ShortenAfter"/> fresh
/// observations in a row. Every change resets both streaks, so the interval changes direction only after that many
/// observations of the other kind: alternating outcomes never lengthen it (hysteresis).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullTuning")]
public sealed record PullTuning(
    [property: Id(0)] int LengthenAfter,
    [property: Id(1)] double Lengthen,
    [property: Id(2)] int ShortenAfter,
    [property: Id(3)] double Shorten)
{
    /// <summary>Two empty pulls in a row lengthen the interval by half; two fresh observations in a row halve it.</summary>
    public static readonly PullTuning Default = new(2, 1.5, 2, 0.5);
}

/// <summary>What the last pull decision of an account's connector was.</summary>
public enum PullOutcome
{
    None,
    Fresh,
    Empty,
    Deferred,
    Skipped,
    Failed,
}

/// <summary>
/// One account's pull cadence for one connector. The next pull is due at <see cref="Anchor"/> + <see cref="Interval"/>
/// (the anchor is the last pull, or a per-account phase before the first), never before <see cref="NotBefore"/>
/// (a throttle deferral, a spent budget, a failure's backoff).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullState")]
public sealed record PullState(
    [property: Id(0)] TimeSpan Interval,
    [property: Id(1)] DateTimeOffset Anchor,
    [property: Id(2)] HeatTier Tier,
    [property: Id(3)] DateTimeOffset? NotBefore = null,
    [property: Id(4)] int EmptyStreak = 0,
    [property: Id(5)] int FreshStreak = 0,
    [property: Id(6)] DateTimeOffset? LastPullAt = null,
    [property: Id(7)] DateTimeOffset? SignalCountedAt = null,
    [property: Id(8)] int Failures = 0,
    [property: Id(9)] PullOutcome LastOutcome = PullOutcome.None)
{
    public DateTimeOffset NextPullAt => NotBefore is { } hold && hold > Anchor + Interval ? hold : Anchor + Interval;
}

/// <summary>
/// The pull planner: when an account's next pull is due. Pure; time and the account's tier are passed in. The interval
/// stays inside the tier's [min, max]; pulls that bring nothing new lengthen it, fresh data (a pull's or a pushed
/// signal's) shortens it, with the hysteresis of <see cref="PullTuning"/>. A tier change clamps the interval into the
/// new tier's bounds at once, so an account that turns hot is pulled within the hot maximum of its last pull.
/// </summary>
public static class PullPlanner
{
    /// <summary>How far a throttled pull's retry is spread per account, so deferred accounts do not all come back in one instant.</summary>
    public static readonly TimeSpan ThrottleSpread = TimeSpan.FromSeconds(2);

    /// <summary>How far pulls that waited for the next day's budget are spread after midnight.</summary>
    public static readonly TimeSpan BudgetSpread = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The first cadence of an account: the tier's maximum (nothing is known yet, so the cheapest), with the first
    /// pull after <paramref name="phase"/> (0..1) of it, so accounts started together do not all pull at once.
    /// </summary>
    public static PullState Start(PullCadence cadence, HeatTier tier, double phase, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cadence);
        var interval = cadence.For(tier).Max;
        var p = double.IsFinite(phase) ? Math.Clamp(phase, 0, 1) : 0;
        return new PullState(interval, now - (interval * (1 - p)), tier);
    }

    /// <summary>A stable phase in [0, 1) from a key (account and connector), for <see cref="Start"/>.</summary>
    public static double Phase(string key) => Common.StablePhase.Of(key);

    public static bool IsDue(PullState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return now >= state.NextPullAt;
    }

    /// <summary>The cadence for the account's tier now: the interval clamped into the tier's bounds.</summary>
    public static PullState Retier(PullState state, PullCadence cadence, HeatTier tier)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(cadence);
        var interval = cadence.For(tier).Clamp(state.Interval);
        return interval == state.Interval && tier == state.Tier ? state : state with { Interval = interval, Tier = tier };
    }

    /// <summary>
    /// A signal pushed at <paramref name="signalAt"/>: fresh data about the account, counted once per pull cycle (the
    /// first pushed signal after a pull), so a burst of pushes counts as one fresh observation, not fifty. Signals of
    /// the pull's own instant are the pull's data, already counted by <see cref="Completed"/>.
    /// </summary>
    public static PullState OnSignal(PullState state, PullCadence cadence, HeatTier tier, PullTuning tuning, DateTimeOffset signalAt)
    {
        var s = Retier(state, cadence, tier);
        return Counts(s, signalAt) ? Observe(s, cadence, tuning, fresh: true) with { SignalCountedAt = signalAt } : s;
    }

    /// <summary>
    /// Whether a signal pushed at <paramref name="signalAt"/> is the first fresh observation of the cadence's pull cycle
    /// (<see cref="OnSignal"/> counts it), so the cadence moves and the pulls are worth planning again.
    /// </summary>
    public static bool Counts(PullState state, DateTimeOffset signalAt)
    {
        ArgumentNullException.ThrowIfNull(state);
        var cycleStart = state.LastPullAt ?? state.Anchor;
        return signalAt > cycleStart && !(state.SignalCountedAt is { } counted && counted >= cycleStart);
    }

    /// <summary>
    /// Every enabled connector's cadence for the account as <paramref name="basis"/> shows it now: a new connector
    /// started at the account's phase (<paramref name="accountKey"/>), each clamped into the tier's bounds, fresh pushed
    /// signals counted; connectors no longer enabled are dropped.
    /// </summary>
    public static ImmutableDictionary<string, PullState> Plan(PullBasis basis, IEnumerable<ConnectorConfig> connectors, string accountKey, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(connectors);
        var planned = ImmutableDictionary.CreateBuilder<string, PullState>(StringComparer.Ordinal);
        foreach (var c in connectors)
        {
            var p = basis.Pulls.GetValueOrDefault(c.Name) ?? Start(c.Cadence, basis.Tier, Phase($"{accountKey}/{c.Name}"), now);
            p = Retier(p, c.Cadence, basis.Tier);
            planned[c.Name] = basis.LastSignalAt is { } at ? OnSignal(p, c.Cadence, basis.Tier, PullTuning.Default, at) : p;
        }

        return planned.ToImmutable();
    }

    /// <summary>Whether two plans hold the same cadence for the same connectors.</summary>
    public static bool Same(ImmutableDictionary<string, PullState> a, ImmutableDictionary<string, PullState> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var other) && other == p.Value);
    }

    /// <summary>A pull finished: <paramref name="fresh"/> when it brought anything new (a new signal, a posture change).</summary>
    public static PullState Completed(PullState state, PullCadence cadence, HeatTier tier, PullTuning tuning, bool fresh, DateTimeOffset now)
    {
        var s = Observe(Retier(state, cadence, tier), cadence, tuning, fresh);
        return s with
        {
            Anchor = now,
            LastPullAt = now,
            NotBefore = null,
            Failures = 0,
            LastOutcome = fresh ? PullOutcome.Fresh : PullOutcome.Empty,
        };
    }

    /// <summary>The connector's throttle had no token: try again when it will have one.</summary>
    public static PullState Deferred(PullState state, DateTimeOffset retryAt)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state with { NotBefore = Later(state.NotBefore, retryAt), LastOutcome = PullOutcome.Deferred };
    }

    /// <summary>The tenant's pull budget for today is spent: nothing until it refills.</summary>
    public static PullState Skipped(PullState state, DateTimeOffset refillsAt)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state with { NotBefore = Later(state.NotBefore, refillsAt), LastOutcome = PullOutcome.Skipped };
    }

    /// <summary>The pull failed: retry after a backoff that starts at the tier's minimum and doubles up to its maximum.</summary>
    public static PullState Failed(PullState state, PullCadence cadence, HeatTier tier, DateTimeOffset now)
    {
        var s = Retier(state, cadence, tier);
        var bounds = cadence.For(tier);
        var failures = s.Failures + 1;
        var backoff = bounds.Clamp(TimeSpan.FromTicks((long)Math.Min(bounds.Max.Ticks, bounds.Min.Ticks * Math.Pow(2, Math.Min(failures - 1, 30)))));
        return s with { Failures = failures, NotBefore = now + backoff, LastOutcome = PullOutcome.Failed };
    }

    private static PullState Observe(PullState s, PullCadence cadence, PullTuning tuning, bool fresh)
    {
        ArgumentNullException.ThrowIfNull(tuning);
        var bounds = cadence.For(s.Tier);
        if (fresh)
        {
            var streak = s.FreshStreak + 1;
            return streak >= tuning.ShortenAfter
                ? s with { Interval = bounds.Clamp(Scale(s.Interval, tuning.Shorten)), FreshStreak = 0, EmptyStreak = 0 }
                : s with { FreshStreak = streak, EmptyStreak = 0 };
        }

        var empty = s.EmptyStreak + 1;
        return empty >= tuning.LengthenAfter
            ? s with { Interval = bounds.Clamp(Scale(s.Interval, tuning.Lengthen)), FreshStreak = 0, EmptyStreak = 0 }
            : s with { EmptyStreak = empty, FreshStreak = 0 };
    }

    private static TimeSpan Scale(TimeSpan interval, double factor) =>
        TimeSpan.FromTicks((long)Math.Clamp(interval.Ticks * factor, 0, TimeSpan.FromDays(365).Ticks));

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}

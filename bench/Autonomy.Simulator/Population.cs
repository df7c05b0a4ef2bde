using System.Collections.Immutable;
using Autonomy.Perception;
using Autonomy.Schedules;
using Autonomy.Triggers;

namespace Autonomy.Simulator;

/// <summary>A small, fast, deterministic random source (xorshift64*), one per account so accounts do not depend on each other's draws.</summary>
internal struct Rng(ulong seed)
{
    private ulong _state = Mix(seed) | 1;

    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A number in [0, 1).</summary>
    public double Next()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return ((_state * 2685821657736338717UL) >> 11) / (double)(1UL << 53);
    }

    /// <summary>The wait until the next event of a Poisson process of <paramref name="perHour"/> events an hour.</summary>
    public TimeSpan Exponential(double perHour) =>
        perHour <= 0 ? TimeSpan.MaxValue : TimeSpan.FromHours(Math.Min(-Math.Log(1 - Next()) / perHour, 24 * 3650));
}

/// <summary>One kind of signal upstream systems push, how often it occurs among all signals, and its value.</summary>
internal readonly record struct SignalKind(string Type, double Share, double Value)
{
    /// <summary>High value: the kinds an operator wants decided at once (value 0.7 and up).</summary>
    public bool HighValue => Value >= HighValueThreshold;

    public const double HighValueThreshold = 0.7;

    public static readonly SignalKind[] Mix =
    [
        new("WEBSITE_VISIT", 0.55, 0.2),
        new("EMAIL_REPLY_RECEIVED", 0.15, 0.8),
        new("USAGE_DROPPED", 0.08, 0.6),
        new("MEETING_BOOKED", 0.06, 0.9),
        new("MEETING_COMPLETED", 0.06, 0.7),
        new("USAGE_SPIKE", 0.06, 0.5),
        new("SUPPORT_TICKET_ESCALATED", 0.03, 0.85),
        new("CHAMPION_LEFT", 0.01, 0.95),
    ];

    public static readonly SignalKind RenewalWindowOpened = new("RENEWAL_WINDOW_OPENED", 0, 0.9);

    /// <summary>A burst (a buying committee on the website, a thread of replies) is mostly visits with some replies.</summary>
    public static readonly SignalKind[] BurstMix = [new("WEBSITE_VISIT", 0.85, 0.2), new("EMAIL_REPLY_RECEIVED", 0.15, 0.8)];

    public static SignalKind Pick(SignalKind[] mix, double u)
    {
        foreach (var kind in mix)
        {
            if ((u -= kind.Share) < 0)
            {
                return kind;
            }
        }

        return mix[^1];
    }
}

/// <summary>One simulated account: its workload (how it behaves upstream) and the engine's state of it (the real core records).</summary>
internal sealed class SimAccount
{
    public required int Index { get; init; }

    public required int Tenant { get; init; }

    public required string Key { get; init; }

    /// <summary>Pushed signals an hour, silent upstream changes an hour (only a pull sees them), bursts a day.</summary>
    public double SignalsPerHour { get; init; }

    public double SilentPerHour { get; init; }

    public double BurstsPerDay { get; init; }

    public DateOnly? RenewalDate { get; init; }

    public Rng Random;

    // The engine's view, kept with the real core's records and rules.
    public HeatState Heat = null!;
    public HeatTier Tier;
    public TriggerState Trigger = TriggerState.Empty;
    public DateTimeOffset? LastRunAt;
    public DateTimeOffset? LastHighValueRunAt;
    public string? LastDigest;
    public DateTimeOffset? DeferredUntil;
    public PullState Pull = null!;
    public DateTimeOffset? LastSignalAt;
    public DateTimeOffset ScheduledSince;
    public ImmutableDictionary<string, DateTimeOffset> Handled = ImmutableDictionary<string, DateTimeOffset>.Empty;
    public DateTimeOffset NextRitualAt;
    public TimeSpan TickPeriod;

    // Event versions: an event whose version is not the account's current one was superseded.
    public int TickVersion;
    public int WakeVersion;
    public int PullVersion;

    // What the simulator measures.
    public DateTimeOffset? HotSince;
    public DateTimeOffset DataAt;
    public DateTimeOffset LastUpstreamAt;
    public int BurstLeft;
    public List<DateTimeOffset>? PendingHighValue;

    /// <summary>Where the current 15-minute span of high-value triggers ends (<see cref="SimReport.HighValueFloor"/>).</summary>
    public DateTimeOffset? FloorSpanEnds;
}

/// <summary>
/// The population: most accounts cold (a signal every few days), some warm (a couple a day), a few hot (dozens a day),
/// bursts on any of them, 3% hot by posture alone, and 10% with a renewal in the next 120 days (renewal runway rituals,
/// and a RENEWAL_WINDOW_OPENED signal 90 days before).
/// </summary>
internal static class Population
{
    public const double ColdShare = 0.80;
    public const double WarmShare = 0.15;
    public const double HighPostureShare = 0.03;
    public const double RenewalShare = 0.10;

    /// <summary>The mean value of a pushed signal of <see cref="SignalKind.Mix"/>.</summary>
    public static readonly double MeanSignalValue = SignalKind.Mix.Sum(k => k.Share * k.Value);

    /// <summary>The account's weekly review occurrence (jitter included) last before <paramref name="start"/>.</summary>
    public static DateTimeOffset LastWeeklyReview(string key, DateTimeOffset start)
    {
        var rituals = RitualConfig.Default;
        var day = DateOnly.FromDateTime(start.UtcDateTime);
        for (var d = 0; d <= 8; d++)
        {
            var date = day.AddDays(-d);
            var at = new DateTimeOffset(date.ToDateTime(rituals.WeeklyReviewAt), TimeSpan.Zero) + RitualPlanner.Jitter(rituals, key, TriggerRegistry.WeeklyReview);
            if (date.DayOfWeek == rituals.WeeklyReviewDay && at < start)
            {
                return at;
            }
        }

        throw new InvalidOperationException("A week always holds a weekly review.");
    }

    public static SimAccount Create(int index, int seed, int accountsPerTenant, DateTimeOffset start)
    {
        var random = new Rng(((ulong)(uint)seed << 32) | (uint)index);
        var segment = random.Next();
        var (perDay, burstsPerDay) = segment < ColdShare ? (0.2, 0.02) : segment < ColdShare + WarmShare ? (1.5, 0.1) : (20.0, 0.3);
        var spread = 0.5 + random.Next();
        var renewal = random.Next() < RenewalShare ? DateOnly.FromDateTime(start.UtcDateTime).AddDays(1 + (int)(random.Next() * 120)) : (DateOnly?)null;
        var account = new SimAccount
        {
            Index = index,
            Tenant = index / accountsPerTenant,
            Key = $"t{index / accountsPerTenant}/acc-{index}",
            SignalsPerHour = perDay * spread / 24,
            SilentPerHour = (0.5 + (perDay * spread * 0.5)) / 24,
            BurstsPerDay = burstsPerDay,
            RenewalDate = renewal,
            Random = random,
        };
        // Heat as the days before the simulation left it: the steady state of the account's signal rate (score =
        // rate x mean value x half-life / ln 2); the tier is the core's classification of that score.
        var score = account.SignalsPerHour * MeanSignalValue * Perception.Heat.HalfLife.TotalHours / Math.Log(2);
        var heat = new HeatState(score, start, Perception.Heat.Classify(HeatTier.Cold, score), 0);
        if (account.Random.Next() < HighPostureShare)
        {
            heat = Perception.Heat.WithPosture(heat, 0.8, start);
        }

        account.Heat = heat;
        account.Tier = heat.Tier;

        // The last run as the days before left it: at the latest the weekly review of the Monday before the start (a
        // review a week or more after the last run is always worth running, so no account goes a week unreviewed).
        // Accounts that ran since then ran later, so this is the oldest last run they can have: it overstates what
        // looking again is worth, never understates it.
        account.LastRunAt = LastWeeklyReview(account.Key, start);
        account.ScheduledSince = start;
        account.DataAt = start;
        account.LastUpstreamAt = start;
        return account;
    }
}

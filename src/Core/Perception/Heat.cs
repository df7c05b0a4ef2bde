namespace Autonomy.Perception;

public enum HeatTier
{
    Cold,
    Warm,
    Hot,
}

/// <summary>An account's heat: a score that decays with time and rises with signals, and its tier.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.HeatState")]
public sealed record HeatState(
    [property: Id(0)] double Score,
    [property: Id(1)] DateTimeOffset UpdatedAt,
    [property: Id(2)] HeatTier Tier,
    [property: Id(3)] double PostureBaseline)
{
    public static HeatState Cold(DateTimeOffset now) => new(0, now, HeatTier.Cold, 0);
}

/// <summary>
/// Heat scoring. Signals add their value (0..1, default 0.5) to a score that halves every
/// <see cref="HalfLife"/>; the account's posture sets a floor the score never decays below. Tiers use
/// hysteresis: entering a tier needs a higher score than staying in it, so an account near a threshold does
/// not flap between reminder periods.
/// </summary>
public static class Heat
{
    public static readonly TimeSpan HalfLife = TimeSpan.FromHours(48);
    public const double WarmEnter = 1.0;
    public const double WarmExit = 0.7;
    public const double HotEnter = 3.0;
    public const double HotExit = 2.2;

    /// <summary>The score at <paramref name="now"/> with no new signal.</summary>
    public static HeatState At(HeatState state, DateTimeOffset now)
    {
        if (now <= state.UpdatedAt)
        {
            return state;
        }

        var score = Decayed(state, now);
        return state with { Score = score, UpdatedAt = now, Tier = Classify(state.Tier, score) };
    }

    /// <summary>The tier <see cref="At"/> would give, without building the decayed state (the ingest path asks per signal).</summary>
    public static HeatTier TierAt(HeatState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return now <= state.UpdatedAt ? state.Tier : Classify(state.Tier, Decayed(state, now));
    }

    public static HeatState OnSignal(HeatState state, double value, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        // As At followed by the signal's value, in one copy: the decayed score, time and tier, then the value added.
        var (decayed, at, tier) = (state.Score, state.UpdatedAt, state.Tier);
        if (now > state.UpdatedAt)
        {
            decayed = Decayed(state, now);
            (at, tier) = (now, Classify(state.Tier, decayed));
        }

        var score = decayed + Math.Clamp(double.IsFinite(value) ? value : 0, 0, 1);
        return state with { Score = score, UpdatedAt = at, Tier = Classify(tier, score) };
    }

    /// <summary>The score at <paramref name="now"/> (after <c>UpdatedAt</c>) with no new signal: halved per half-life, never below the posture floor.</summary>
    private static double Decayed(HeatState state, DateTimeOffset now) =>
        Math.Max(state.PostureBaseline, state.Score * Math.Pow(0.5, (now - state.UpdatedAt) / HalfLife));

    /// <summary>Posture (0..1, e.g. intent or risk) sets the floor: <c>baseline = 4 × posture</c>, so posture 1 alone keeps an account hot.</summary>
    public static HeatState WithPosture(HeatState state, double posture, DateTimeOffset now)
    {
        var decayed = At(state, now);
        var baseline = 4 * Math.Clamp(double.IsFinite(posture) ? posture : 0, 0, 1);
        var score = Math.Max(decayed.Score, baseline);
        return decayed with { PostureBaseline = baseline, Score = score, Tier = Classify(decayed.Tier, score) };
    }

    public static HeatTier Classify(HeatTier current, double score) => current switch
    {
        HeatTier.Hot when score >= HotExit => HeatTier.Hot,
        _ when score >= HotEnter => HeatTier.Hot,
        HeatTier.Hot or HeatTier.Warm when score >= WarmExit => HeatTier.Warm,
        _ when score >= WarmEnter => HeatTier.Warm,
        _ => HeatTier.Cold,
    };

    /// <summary>How often an account's reminder ticks in each tier: hot accounts are looked at more often.</summary>
    public static TimeSpan TickPeriod(HeatTier tier, TickPeriods periods) => tier switch
    {
        HeatTier.Hot => periods.Hot,
        HeatTier.Warm => periods.Warm,
        _ => periods.Cold,
    };
}

/// <summary>Reminder periods per tier (at least one minute each in production; Orleans' minimum).</summary>
public sealed record TickPeriods(TimeSpan Hot, TimeSpan Warm, TimeSpan Cold)
{
    public static readonly TickPeriods Default = new(TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromHours(4));
}

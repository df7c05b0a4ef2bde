namespace Autonomy.Learning;

/// <summary>The learning loop's settings (section "Autonomy:Learning").</summary>
public sealed class LearningOptions
{
    public const string Section = "Autonomy:Learning";

    /// <summary>How much worse (lower 95% bound of the advantage) a candidate may look on NDCG, Brier or SNIPS and still be promoted.</summary>
    public double GateTolerance { get; set; } = GateOptions.Default.Tolerance;

    /// <summary>The fewest held-out decisions with two or more answered proposals a promotion needs.</summary>
    public int MinHoldoutSlates { get; set; } = GateOptions.Default.MinHoldoutSlates;

    /// <summary>The fewest held-out outcomes a promotion needs.</summary>
    public int MinHoldoutExamples { get; set; } = GateOptions.Default.MinHoldoutExamples;

    /// <summary>How far back the dataset reads the ledger (the newest decisions matter; this bounds memory).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The UTC hour from which the nightly calibration runs (once per UTC date).</summary>
    public int NightlyHourUtc { get; set; } = 2;

    /// <summary>How often the ranking grain's reminder checks whether tonight's calibration is due.</summary>
    public TimeSpan NightlyTick { get; set; } = TimeSpan.FromHours(1);

    public GateOptions Gate => new(GateTolerance, MinHoldoutSlates, MinHoldoutExamples);
}

/// <summary>When the nightly calibration is due: once per UTC date, from <see cref="LearningOptions.NightlyHourUtc"/> on.</summary>
public static class NightlyCalibration
{
    /// <summary>The night to calibrate for, or null when it is not time yet or this night's calibration already ran.</summary>
    public static DateOnly? Due(DateOnly? lastNight, DateTimeOffset now, int hourUtc)
    {
        var utc = now.UtcDateTime;
        var night = DateOnly.FromDateTime(utc);
        return utc.Hour >= hourUtc && lastNight != night ? night : null;
    }
}

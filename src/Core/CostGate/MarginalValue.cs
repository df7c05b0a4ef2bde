using Autonomy.Triggers;

namespace Autonomy.CostGate;

/// <summary>What a run would be worth, term by term, as the COST_GATE entry records it.</summary>
public sealed record MarginalValueTerms(double Signals, double Ritual, double Heat, double Staleness, double Value, double Novelty = 1);

/// <summary>
/// How much a decision run is worth before it costs anything: the gate compares this with the tenant's threshold.
/// <code>
/// value     = signals + (ritual × novelty + min(0.1 × heat, 0.3)) × staleness     (a ritual's run)
///           = signals                                                           (a run of signals only)
/// staleness = 1 − 2^(−sinceLastRun / 1 h)                  (1 for an account that never ran)
/// novelty   = 1                                            when the account never ran, or the ritual is the
///                                                          renewal runway
///           = max(quiet, min(1, news / ritual))            otherwise: news is the value of the window's signals
///                                                          (what is new since the last run), quiet is
///                                                          1 − 2^(−sinceLastRun / quiet horizon): daily brief
///                                                          7 days, weekly review 1 day
/// </code>
/// <c>signals</c> is the sum of the window's signal values (each 0..1; ritual ticks excluded), <c>ritual</c> the
/// own value of the rituals in the window (<see cref="RitualValue"/>), <c>heat</c> the account's heat score now.
/// New signals are new information and count in full however recently the account ran. What a ritual and the
/// account's heat add is the value of looking again, which grows with the time since the last look: half of it an
/// hour after a run, three quarters after two, nearly all of it after a day. Looking again is what a ritual does, so
/// heat adds only to a ritual's run: a run of signals alone is worth its signals, however hot the account (a hot
/// account runs on its high-value signals and its rituals often enough; its low-value signals wait for those runs,
/// or add up to a run of their own). Heat's share stops growing at the hot threshold (3, so at most 0.3) and alone
/// never buys a run at the default threshold (0.7). A ritual is worth as much of its own value as there is news for
/// it: every signal since the last run is either in a run already or held in the account's window (a low-value SKIP
/// parks it there), so the window's signals are exactly what is new; a daily brief (0.5) with a parked visit (0.2)
/// gets 0.4 of its value, with a usage change (0.5) or more all of it. On a quiet account a ritual's value grows back
/// over its own horizon: a daily brief a day after a run on an account where nothing changed is worth under a tenth
/// of its value (it is skipped), a weekly review a week after the last run nearly all of it (a quiet account is still
/// reviewed weekly), the renewal runway always all of it. Non-finite or negative inputs count as zero, so the value
/// is never NaN and never below zero; it never falls when signals, heat, ritual value or the time since the last run
/// grow.
/// </summary>
public static class MarginalValue
{
    /// <summary>The value of a ritual with no value of its own (and of every ritual before they had one).</summary>
    public const double Ritual = 1.0;

    /// <summary>The share of the account's heat a run adds.</summary>
    public const double HeatWeight = 0.1;

    /// <summary>The most the account's heat adds (<see cref="HeatWeight"/> × the hot threshold, 3).</summary>
    public const double HeatCap = 0.3;

    /// <summary>After this long without a run, looking again is worth half of what it is worth after a long time.</summary>
    public static readonly TimeSpan StalenessHalfLife = TimeSpan.FromHours(1);

    /// <summary>A ritual's own value: the daily brief 0.5, the weekly review 0.8, the renewal runway 1.0.</summary>
    public static double RitualValue(string ritual) => ritual switch
    {
        TriggerRegistry.DailyBrief => 0.5,
        TriggerRegistry.WeeklyReview => 0.8,
        TriggerRegistry.RenewalRunway => 1.0,
        _ => Ritual,
    };

    /// <summary>Whether a window entry is a ritual's tick rather than a signal.</summary>
    public static bool IsRitual(string type) =>
        type is TriggerRegistry.DailyBrief or TriggerRegistry.WeeklyReview or TriggerRegistry.RenewalRunway;

    /// <summary>How long a quiet account waits for half of a ritual's value (<see cref="Novelty"/>).</summary>
    public static TimeSpan QuietHorizon(string ritual) => ritual switch
    {
        TriggerRegistry.DailyBrief => TimeSpan.FromDays(7),
        TriggerRegistry.WeeklyReview => TimeSpan.FromDays(1),
        _ => TimeSpan.Zero,
    };

    /// <summary>
    /// The share of a ritual's own value a run gets when something is new since the last run (<paramref name="somethingNew"/>:
    /// news worth the ritual in full), or nothing is.
    /// </summary>
    public static double Novelty(string ritual, bool somethingNew, TimeSpan? sinceLastRun) =>
        Novelty(ritual, somethingNew ? double.PositiveInfinity : 0, sinceLastRun);

    /// <summary>
    /// The share of a ritual's own value a run gets: all of it when the account never ran or the ritual has no quiet
    /// horizon; otherwise the share of the ritual's value the news (the value of the window's signals) matches, or
    /// what has grown back over the ritual's quiet horizon, whichever is more.
    /// </summary>
    public static double Novelty(string ritual, double news, TimeSpan? sinceLastRun)
    {
        var horizon = QuietHorizon(ritual);
        if (sinceLastRun is null || horizon <= TimeSpan.Zero)
        {
            return 1;
        }

        var quiet = sinceLastRun.Value <= TimeSpan.Zero ? 0 : 1 - Math.Pow(2, -(sinceLastRun.Value / horizon));
        var own = RitualValue(ritual);
        var matched = double.IsPositiveInfinity(news) ? 1 : Math.Min(1, Clean(news) / own);
        return Math.Max(quiet, matched);
    }

    /// <summary>The share of the looking-again value a run gets this long after the previous one (0 at once, toward 1 later).</summary>
    public static double Staleness(TimeSpan? sinceLastRun) => sinceLastRun switch
    {
        null => 1,
        { } d when d <= TimeSpan.Zero => 0,
        { } d => 1 - Math.Pow(2, -(d / StalenessHalfLife)),
    };

    /// <summary>The formula, term by term.</summary>
    public static MarginalValueTerms Terms(double signals, double ritual, double heat, TimeSpan? sinceLastRun, double novelty = 1)
    {
        var (s, r, h) = (Clean(signals), Clean(ritual), Clean(heat));
        var n = Math.Min(1, Clean(novelty));
        var staleness = Staleness(sinceLastRun);
        return new(s, r, h, staleness, s + (((r * n) + Math.Min(HeatWeight * h, HeatCap)) * staleness), n);
    }

    /// <summary>The value of running <paramref name="window"/> now, for an account of this heat that last ran at <paramref name="lastRunAt"/>.</summary>
    public static MarginalValueTerms Of(TriggerWindow window, double heat, DateTimeOffset? lastRunAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(window);
        var all = window.Signals.IsDefault ? [] : window.Signals;
        var ticks = all.Where(s => IsRitual(s.Type)).ToArray();
        var ritual = ticks.Sum(s => Clean(s.Value));
        var kept = all.Where(s => !IsRitual(s.Type)).Sum(s => Clean(s.Value));
        var counted = Clean(window.TotalValue) - ritual;

        // Signals beyond the window's kept ones are only counted; their values are in the total.
        var signals = Math.Max(kept, counted);
        var since = lastRunAt is { } last ? now - last : (TimeSpan?)null;
        var somethingNew = window.SignalCount > ticks.Length;

        // Each ritual's value weighted by its own novelty; the record keeps the share of the ritual value that counted.
        // Heat is the value of looking again, which only a ritual's run adds: a run of signals alone is worth its signals.
        var weighted = ticks.Sum(t => Clean(t.Value) * Novelty(t.Type, somethingNew ? signals : 0, since));
        var terms = Terms(signals, weighted, ticks.Length > 0 ? heat : 0, since);
        return terms with { Ritual = ritual, Heat = Clean(heat), Novelty = ritual > 0 ? weighted / ritual : 1 };
    }

    /// <summary>
    /// The value of a run of an account that never ran: a scheduled run is worth <see cref="Ritual"/> plus
    /// <see cref="HeatWeight"/> × heat (at most <see cref="HeatCap"/>), a signal-started one its signals.
    /// </summary>
    public static double Of(bool startedBySchedule, double signalValueSum, double heat) =>
        startedBySchedule ? Terms(0, Ritual, heat, null).Value : Terms(signalValueSum, 0, 0, null).Value;

    private static double Clean(double value) => double.IsFinite(value) && value > 0 ? value : 0;
}

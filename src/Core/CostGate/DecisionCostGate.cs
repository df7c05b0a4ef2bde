namespace Autonomy.CostGate;

public enum GateVerdict
{
    Allow,
    Defer,
    Skip,
}

public enum GateReason
{
    WorthRunning,
    DuplicateInputs,
    AccountCooldown,
    LowMarginalValue,
    RunBudgetExhausted,
    TokenBudgetExhausted,
}

/// <summary>The gate's answer. <see cref="RetryAt"/> is set for every DEFER.</summary>
public sealed record GateResult(GateVerdict Verdict, GateReason Reason, string Explanation, DateTimeOffset? RetryAt);

/// <summary>What the gate weighs before a decision run costs anything.</summary>
public sealed record GateInput(
    double MarginalValue,
    double MinMarginalValue,
    DateTimeOffset? LastRunAt,
    TimeSpan MinRunInterval,
    string InputsDigest,
    string? LastRunInputsDigest,
    DateTimeOffset Now)
{
    /// <summary>The same input with a tenant's thresholds.</summary>
    public GateInput With(GateThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        return this with { MinMarginalValue = thresholds.MinMarginalValue, MinRunInterval = thresholds.MinRunInterval };
    }
}

/// <summary>
/// The gate's thresholds as they apply to one tenant: its cost budget's values, or the silo's defaults
/// (<c>Autonomy:Engine:MinMarginalValue</c>, <c>Autonomy:Engine:MinRunInterval</c>) for those it leaves unset.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.gate.GateThresholds")]
public sealed record GateThresholds(
    [property: Id(0)] double MinMarginalValue,
    [property: Id(1)] TimeSpan MinRunInterval)
{
    /// <summary>
    /// The built-in defaults: a run must be worth at least 0.7 (a lone high-value signal, 0.7 and up: a reply, a
    /// meeting, an escalation, a champion leaving, a renewal window, runs at once; a lone website visit, 0.2, or usage
    /// change, 0.5 to 0.6, is parked until more value joins it or the next ritual takes it along, however hot the
    /// account; a daily brief, 0.5, runs with a usage change or two visits parked for it, not with one), and one
    /// account runs at most once every 14 minutes (a run asked for sooner is deferred, its signals held, to the end of
    /// the interval: a high-value signal that arrives just after a run waits at most 14 minutes, inside the 15-minute
    /// deadline, and joins whatever else arrives meanwhile).
    /// </summary>
    public static readonly GateThresholds Default = new(0.7, TimeSpan.FromMinutes(14));
}

/// <summary>The tenant's decision-run budget after asking for one run: granted or not, and the counters.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.RunBudgetReservation")]
public sealed record RunBudgetReservation(
    [property: Id(0)] bool Granted,
    [property: Id(1)] long UsedToday,
    [property: Id(2)] long PerDay,
    [property: Id(3)] DateTimeOffset ResetsAt);

/// <summary>
/// Decides whether a decision run is worth its cost. Local checks come first, so a run that would be skipped
/// anyway never spends the tenant's budget; the tenant-wide budgets (engine tokens, then decision runs) are then
/// reserved in one place each. SKIP is only for runs not worth having now (duplicate inputs, dropped; low marginal
/// value, whose signals the account parks so their value accumulates, see <c>DecisionTrigger.Park</c>); a
/// run worth having that cannot start now (the account's minimum interval, a budget used up until it refills) is
/// DEFERRED with the time to try again, and its window's signals are held for that run.
/// </summary>
public static class DecisionCostGate
{
    public static GateResult EvaluateLocal(GateInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.LastRunInputsDigest is not null && input.InputsDigest == input.LastRunInputsDigest)
        {
            return new(GateVerdict.Skip, GateReason.DuplicateInputs, "The last run already saw exactly these inputs.", null);
        }

        if (input.LastRunAt is { } last && input.Now < last + input.MinRunInterval)
        {
            var retry = last + input.MinRunInterval;
            return new(GateVerdict.Defer, GateReason.AccountCooldown, $"The account ran a decision at {last:O}; the next may start at {retry:O}.", retry);
        }

        if (!(input.MarginalValue >= input.MinMarginalValue))
        {
            return new(
                GateVerdict.Skip,
                GateReason.LowMarginalValue,
                $"Marginal value {input.MarginalValue:0.###} is below the threshold {input.MinMarginalValue:0.###}.",
                null);
        }

        return new(GateVerdict.Allow, GateReason.WorthRunning, $"Marginal value {input.MarginalValue:0.###} is worth a run.", null);
    }

    /// <summary>
    /// Applies the tenant-wide run reservation to a locally allowed run: refused means DEFER until the budget
    /// refills (the next UTC day), never SKIP, so the window's signals wait for that run.
    /// </summary>
    /// <summary>How far runs deferred to a budget that refills at midnight UTC are spread after it.</summary>
    public static readonly TimeSpan RefillSpread = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A DEFER to a day's budget refill (a retry at midnight UTC) moves to <paramref name="phase"/> (0..1, stable per
    /// account) of <see cref="RefillSpread"/> after it, so the accounts a spent budget held do not all run in the
    /// same instant; every other result is returned as it is.
    /// </summary>
    public static GateResult SpreadRefill(GateResult result, double phase)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result is not { Verdict: GateVerdict.Defer, RetryAt: { } retry } || retry.UtcDateTime.TimeOfDay != TimeSpan.Zero)
        {
            return result;
        }

        var p = double.IsFinite(phase) ? Math.Clamp(phase, 0, 1) : 0;
        return result with { RetryAt = retry + (RefillSpread * p) };
    }

    public static GateResult WithBudget(GateResult local, RunBudgetReservation reservation)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(reservation);
        return local.Verdict != GateVerdict.Allow || reservation.Granted
            ? local
            : new(
                GateVerdict.Defer,
                GateReason.RunBudgetExhausted,
                $"The tenant used {reservation.UsedToday} of {reservation.PerDay} decision runs today; the budget refills at {reservation.ResetsAt:O}.",
                reservation.ResetsAt);
    }

    /// <summary>
    /// Applies the tenant-wide token reservation to a locally allowed run: refused means DEFER until tokens can be
    /// had again (in-flight calls settling, or the next UTC day; <see cref="TokenReservation.RetryAt"/>).
    /// </summary>
    public static GateResult WithTokens(GateResult local, TokenReservation reservation)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(reservation);
        return local.Verdict != GateVerdict.Allow || reservation.Granted
            ? local
            : new(
                GateVerdict.Defer,
                GateReason.TokenBudgetExhausted,
                $"The engine needs up to {reservation.Tokens} tokens; the tenant has used or reserved {reservation.UsedToday} of {reservation.PerDay} today ({reservation.InFlight} in flight). Next try at {reservation.RetryAt:O}.",
                reservation.RetryAt);
    }
}

/// <summary>The tenant's daily decision-run budget, counted by the tenant grain alone so silos never multiply it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.RunBudgetCounter")]
public sealed record RunBudgetCounter([property: Id(0)] DateOnly Day, [property: Id(1)] long Used)
{
    public (RunBudgetCounter Counter, RunBudgetReservation Reservation) Reserve(long perDay, DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var used = day == Day ? Used : 0;
        var resets = BudgetDay.End(day);
        return used < perDay
            ? (new RunBudgetCounter(day, used + 1), new RunBudgetReservation(true, used + 1, perDay, resets))
            : (new RunBudgetCounter(day, used), new RunBudgetReservation(false, used, perDay, resets));
    }

    /// <summary>Runs reserved on the UTC day of <paramref name="now"/>.</summary>
    public long UsedOn(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime) == Day ? Used : 0;
}

/// <summary>Budget windows are UTC days.</summary>
public static class BudgetDay
{
    public static DateOnly Of(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime);

    /// <summary>The moment the day's budget refills: the next UTC midnight.</summary>
    public static DateTimeOffset End(DateOnly day) => new(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}

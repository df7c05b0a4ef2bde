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
    DateTimeOffset Now);

/// <summary>The tenant's decision-run budget after asking for one run: granted or not, and the counters.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.RunBudgetReservation")]
public sealed record RunBudgetReservation(
    [property: Id(0)] bool Granted,
    [property: Id(1)] long UsedToday,
    [property: Id(2)] long PerDay,
    [property: Id(3)] DateTimeOffset ResetsAt);

/// <summary>
/// Decides whether a decision run is worth its cost. Local checks come first, so a run that would be skipped
/// anyway never spends the tenant's budget; the tenant-wide budget is then reserved in one place (the tenant).
/// </summary>
public static class DecisionCostGate
{
    public static GateResult EvaluateLocal(GateInput input)
    {
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

    /// <summary>Applies the tenant-wide reservation to a locally allowed run.</summary>
    public static GateResult WithBudget(GateResult local, RunBudgetReservation reservation) =>
        local.Verdict != GateVerdict.Allow || reservation.Granted
            ? local
            : new(
                GateVerdict.Skip,
                GateReason.RunBudgetExhausted,
                $"The tenant used {reservation.UsedToday} of {reservation.PerDay} decision runs today; the budget refills at {reservation.ResetsAt:O}.",
                null);
}

/// <summary>The tenant's daily decision-run budget, counted by the tenant grain alone so silos never multiply it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.RunBudgetCounter")]
public sealed record RunBudgetCounter([property: Id(0)] DateOnly Day, [property: Id(1)] long Used)
{
    public (RunBudgetCounter Counter, RunBudgetReservation Reservation) Reserve(long perDay, DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var used = day == Day ? Used : 0;
        var resets = new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return used < perDay
            ? (new RunBudgetCounter(day, used + 1), new RunBudgetReservation(true, used + 1, perDay, resets))
            : (new RunBudgetCounter(day, used), new RunBudgetReservation(false, used, perDay, resets));
    }
}

using System.Collections.Immutable;

namespace Autonomy.Budgets;

/// <summary>
/// Optional decay of an unused allowance: an account that has not used autonomy for a while gets a smaller
/// daily allowance, so a dormant account cannot wake to a burst of autonomous actions.
/// <c>effective = max(floor, floor(max × 0.5^(idleDays / halfLifeDays)))</c>, where idleDays counts whole
/// UTC days since the account last ran an autonomous action before that day (or since its budget use was first
/// tracked), minus one, never negative; the result is capped at max.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.BudgetDecay")]
public sealed record BudgetDecay(
    [property: Id(0)] double HalfLifeDays,
    [property: Id(1)] int Floor);

/// <summary>The tenant's autonomy budget: how many autonomous actions per account and per action type, per UTC day.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.AutonomyBudgetConfig")]
public sealed record AutonomyBudgetConfig(
    [property: Id(0)] int MaxPerAccountPerDay,
    [property: Id(1)] ImmutableDictionary<string, int> MaxPerActionTypePerDay,
    [property: Id(2)] BudgetDecay? Decay)
{
    public static readonly AutonomyBudgetConfig Default = new(5, ImmutableDictionary<string, int>.Empty, null);
}

/// <summary>
/// An account's autonomous actions on one UTC day, and when it last used autonomy. <see cref="PreviousUsedDay"/>
/// is the use before <see cref="LastUsedDay"/>, so the first action of a day does not reset that day's decay.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.BudgetUsage")]
public sealed record BudgetUsage(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] int Total,
    [property: Id(2)] ImmutableDictionary<string, int> PerActionType,
    [property: Id(3)] DateOnly? LastUsedDay,
    [property: Id(4)] DateOnly TrackedSince,
    [property: Id(5)] DateOnly? PreviousUsedDay = null)
{
    public static BudgetUsage Start(DateOnly day) => new(day, 0, ImmutableDictionary<string, int>.Empty, null, day);

    /// <summary>The usage as seen on <paramref name="day"/>: counters reset when the day has turned.</summary>
    public BudgetUsage On(DateOnly day) => day == Day ? this : this with { Day = day, Total = 0, PerActionType = ImmutableDictionary<string, int>.Empty };
}

/// <summary>The autonomy budget rules. Pure: the day is passed in.</summary>
public static class AutonomyBudget
{
    public static DateOnly DayOf(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime);

    /// <summary>The account's allowance on <paramref name="day"/>, after decay of an unused allowance.</summary>
    public static int EffectiveAccountLimit(AutonomyBudgetConfig config, BudgetUsage usage, DateOnly day)
    {
        if (config.Decay is not { HalfLifeDays: > 0 } decay)
        {
            return config.MaxPerAccountPerDay;
        }

        // Idle days count up to the day's first action: using the allowance must not refill it the same day.
        var lastBefore = usage.LastUsedDay is { } last && last >= day ? usage.PreviousUsedDay : usage.LastUsedDay;
        var since = lastBefore ?? usage.TrackedSince;
        var idleDays = Math.Max(0, day.DayNumber - since.DayNumber - 1);
        var decayed = (int)Math.Floor(config.MaxPerAccountPerDay * Math.Pow(0.5, idleDays / decay.HalfLifeDays));
        return Math.Min(config.MaxPerAccountPerDay, Math.Max(Math.Max(0, decay.Floor), decayed));
    }

    /// <summary>Whether one more autonomous <paramref name="actionType"/> fits today's budget.</summary>
    public static BudgetCheck Check(AutonomyBudgetConfig config, BudgetUsage usage, string actionType, DateTimeOffset now)
    {
        var day = DayOf(now);
        var today = usage.On(day);
        var accountLimit = EffectiveAccountLimit(config, usage, day);
        int? typeLimit = config.MaxPerActionTypePerDay.TryGetValue(actionType, out var t) ? t : null;
        var typeUsed = today.PerActionType.GetValueOrDefault(actionType);

        if (today.Total >= accountLimit)
        {
            return BudgetCheck.AccountSpent(accountLimit, today.Total, typeLimit, typeUsed);
        }

        if (typeLimit is { } limit && typeUsed >= limit)
        {
            return BudgetCheck.TypeSpent(actionType, accountLimit, today.Total, limit, typeUsed);
        }

        return BudgetCheck.Within(accountLimit, today.Total, typeLimit, typeUsed);
    }

    /// <summary>Records one autonomous action. Call only after <see cref="Check"/> allowed it.</summary>
    /// <summary>
    /// <see cref="Check(AutonomyBudgetConfig, BudgetUsage, string, DateTimeOffset)"/>, where executions of unknown
    /// outcome count too: with <paramref name="inFlight"/> at <paramref name="maxInFlight"/>, nothing more runs alone
    /// until they are settled.
    /// </summary>
    public static BudgetCheck Check(AutonomyBudgetConfig config, BudgetUsage usage, string actionType, DateTimeOffset now, int inFlight, int maxInFlight)
    {
        var check = Check(config, usage, actionType, now);
        return check.Allowed && inFlight >= maxInFlight ? check.AwaitingResults(inFlight) : check;
    }

    public static BudgetUsage Consume(BudgetUsage usage, string actionType, DateTimeOffset now)
    {
        var day = DayOf(now);
        var today = usage.On(day);
        return today with
        {
            Total = today.Total + 1,
            PerActionType = today.PerActionType.SetItem(actionType, today.PerActionType.GetValueOrDefault(actionType) + 1),
            LastUsedDay = day,
            PreviousUsedDay = usage.LastUsedDay is { } last && last < day ? last : usage.PreviousUsedDay,
        };
    }
}

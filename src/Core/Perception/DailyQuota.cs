namespace Autonomy.Perception;

/// <summary>A request against a daily quota: granted or not, what is used today, the limit it was checked against, and when it refills.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.QuotaReservation")]
public sealed record QuotaReservation(
    [property: Id(0)] bool Granted,
    [property: Id(1)] long UsedToday,
    [property: Id(2)] long PerDay,
    [property: Id(3)] DateTimeOffset ResetsAt);

/// <summary>
/// A quota per UTC day (a tenant's pulls per day, or any amount reserved before it is spent). The limit is passed on
/// every request, so a new budget applies from the next request on, mid-day included: a raised limit grants more at
/// once, a lowered one below what is used grants nothing more today. Use rolls over at midnight UTC. Nothing is ever
/// granted beyond the limit in force when it was asked for.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.DailyQuota")]
public sealed record DailyQuota([property: Id(0)] DateOnly Day, [property: Id(1)] long Used)
{
    public static readonly DailyQuota Empty = new(default, 0);

    public static DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime);

    public static DateTimeOffset NextMidnight(DateTimeOffset at) => new(DayOf(at).AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>What is used on the day of <paramref name="now"/> (zero on any other day than <see cref="Day"/>).</summary>
    public long UsedAt(DateTimeOffset now) => DayOf(now) == Day ? Used : 0;

    /// <summary>Reserves <paramref name="amount"/> out of <paramref name="perDay"/> for the day of <paramref name="now"/>.</summary>
    public (DailyQuota Quota, QuotaReservation Reservation) Reserve(long perDay, long amount, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        var day = DayOf(now);
        var used = UsedAt(now);
        var resets = NextMidnight(now);
        return amount <= perDay - used
            ? (new DailyQuota(day, used + amount), new QuotaReservation(true, used + amount, perDay, resets))
            : (day == Day ? this : new DailyQuota(day, used), new QuotaReservation(false, used, perDay, resets));
    }

    /// <summary>
    /// Gives back the unspent part of a reservation made on <paramref name="reservedOn"/> (e.g. tokens reserved for a
    /// call that used fewer). A reservation of an earlier day is not given back: that day's use is closed.
    /// </summary>
    public DailyQuota Release(long amount, DateOnly reservedOn)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        return reservedOn == Day && amount > 0 ? this with { Used = Math.Max(0, Used - amount) } : this;
    }
}

namespace Autonomy.Sellers;

/// <summary>When a seller's daily digest is due. Pure: the time zone and the clock are passed in.</summary>
public static class DigestSchedule
{
    /// <summary>How late a digest may still go out after downtime; an older one is skipped (the API still serves it).</summary>
    public static readonly TimeSpan CatchUp = TimeSpan.FromHours(6);

    /// <summary>The seller's local date of an instant.</summary>
    public static DateOnly LocalDate(DigestSettings settings, DateTimeOffset at) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, Zone(settings)).DateTime);

    /// <summary>
    /// The local date whose digest is due now: today's <c>deliverAt</c> has passed, less than <see cref="CatchUp"/>
    /// ago, and today's digest has not gone out yet. The digest covers the previous local day.
    /// </summary>
    public static DateOnly? Due(DigestSettings settings, DateOnly? lastDelivered, DateTimeOffset now)
    {
        if (!settings.Enabled)
        {
            return null;
        }

        var zone = Zone(settings);
        var today = LocalDate(settings, now);
        var local = today.ToDateTime(settings.DeliverAt);
        var deliverAt = new DateTimeOffset(local, zone.GetUtcOffset(local));
        return now >= deliverAt && now - deliverAt <= CatchUp && lastDelivered != today ? today : null;
    }

    private static TimeZoneInfo Zone(DigestSettings settings) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(settings.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;
}

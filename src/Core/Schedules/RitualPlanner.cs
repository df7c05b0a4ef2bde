using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Autonomy.Triggers;

namespace Autonomy.Schedules;

/// <summary>When the always-on rituals happen. Times are UTC; each account gets a deterministic jitter.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.RitualConfig")]
public sealed record RitualConfig(
    [property: Id(0)] TimeOnly DailyBriefAt,
    [property: Id(1)] DayOfWeek WeeklyReviewDay,
    [property: Id(2)] TimeOnly WeeklyReviewAt,
    [property: Id(3)] ImmutableArray<int> RenewalRunwayDays,
    [property: Id(4)] TimeSpan Jitter,
    [property: Id(5)] TimeSpan CatchUpWindow)
{
    public static readonly RitualConfig Default = new(
        new TimeOnly(7, 0),
        DayOfWeek.Monday,
        new TimeOnly(8, 0),
        [90, 60, 30],
        TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(6));
}

public enum TickDisposition
{
    Fire,
    SkippedOverlap,
    Missed,
}

/// <summary>One ritual occurrence the planner decided about.</summary>
public sealed record RitualTick(string Ritual, string OccurrenceKey, DateTimeOffset ScheduledAt, TickDisposition Disposition, string Reason);

/// <summary>
/// Plans ritual ticks. On each reminder tick it looks at the latest occurrence of every ritual that is not yet
/// handled: within the catch-up window it fires (or is skipped while a run is in flight), older it is missed.
/// Occurrences before the account was first scheduled are never reported as missed.
/// </summary>
public static class RitualPlanner
{
    public static ImmutableArray<RitualTick> Plan(
        RitualConfig config,
        string jitterKey,
        DateTimeOffset scheduledSince,
        ImmutableDictionary<string, DateTimeOffset> handled,
        DateOnly? renewalDate,
        bool runInFlight,
        DateTimeOffset now)
    {
        var ticks = ImmutableArray.CreateBuilder<RitualTick>();
        foreach (var (ritual, key, at) in LatestOccurrences(config, jitterKey, renewalDate, now))
        {
            if (at <= scheduledSince || (handled.TryGetValue(ritual, out var last) && at <= last))
            {
                continue;
            }

            var late = now - at;
            ticks.Add(late > config.CatchUpWindow
                ? new RitualTick(ritual, key, at, TickDisposition.Missed, $"Due at {at:O}, {late.TotalMinutes:0} minutes ago: outside the {config.CatchUpWindow.TotalMinutes:0}-minute catch-up window.")
                : runInFlight
                    ? new RitualTick(ritual, key, at, TickDisposition.SkippedOverlap, "A decision run is in flight; overlapping ticks are skipped.")
                    : new RitualTick(ritual, key, at, TickDisposition.Fire, $"Due at {at:O}."));
        }

        return ticks.ToImmutable();
    }

    /// <summary>The next occurrence of any ritual after <paramref name="now"/>.</summary>
    public static DateTimeOffset? Next(RitualConfig config, string jitterKey, DateOnly? renewalDate, DateTimeOffset now)
    {
        var candidates = new List<DateTimeOffset>();
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        // Start a day back: jitter can carry yesterday's occurrence past midnight into today.
        for (var d = -1; d <= 8; d++)
        {
            var date = day.AddDays(d);
            candidates.Add(At(date, config.DailyBriefAt, Jitter(config, jitterKey, TriggerRegistry.DailyBrief)));
            if (date.DayOfWeek == config.WeeklyReviewDay)
            {
                candidates.Add(At(date, config.WeeklyReviewAt, Jitter(config, jitterKey, TriggerRegistry.WeeklyReview)));
            }
        }

        if (renewalDate is { } renewal)
        {
            candidates.AddRange(config.RenewalRunwayDays.Select(n => At(renewal.AddDays(-n), config.DailyBriefAt, Jitter(config, jitterKey, TriggerRegistry.RenewalRunway))));
        }

        return candidates.Where(c => c > now).Order().Cast<DateTimeOffset?>().FirstOrDefault();
    }

    /// <summary>A stable offset in [0, jitter) from the account and ritual, so accounts do not all tick at once.</summary>
    public static TimeSpan Jitter(RitualConfig config, string jitterKey, string ritual)
    {
        if (config.Jitter <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{jitterKey}|{ritual}"));
        var value = BitConverter.ToUInt64(hash, 0);
        return TimeSpan.FromTicks((long)(value % (ulong)config.Jitter.Ticks));
    }

    private static IEnumerable<(string Ritual, string Key, DateTimeOffset At)> LatestOccurrences(
        RitualConfig config, string jitterKey, DateOnly? renewalDate, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);

        var brief = Latest(today, 1, d => At(d, config.DailyBriefAt, Jitter(config, jitterKey, TriggerRegistry.DailyBrief)), now, _ => true);
        if (brief is { } b)
        {
            yield return (TriggerRegistry.DailyBrief, $"{TriggerRegistry.DailyBrief}:{b.Date:yyyy-MM-dd}", b.At);
        }

        var review = Latest(today, 8, d => At(d, config.WeeklyReviewAt, Jitter(config, jitterKey, TriggerRegistry.WeeklyReview)), now, d => d.DayOfWeek == config.WeeklyReviewDay);
        if (review is { } r)
        {
            yield return (TriggerRegistry.WeeklyReview, $"{TriggerRegistry.WeeklyReview}:{r.Date:yyyy-MM-dd}", r.At);
        }

        if (renewalDate is { } renewal)
        {
            var runway = config.RenewalRunwayDays
                .Select(n => (Days: n, At: At(renewal.AddDays(-n), config.DailyBriefAt, Jitter(config, jitterKey, TriggerRegistry.RenewalRunway))))
                .Where(o => o.At <= now)
                .OrderByDescending(o => o.At)
                .FirstOrDefault();
            if (runway.At != default)
            {
                yield return (TriggerRegistry.RenewalRunway, $"{TriggerRegistry.RenewalRunway}:{renewal:yyyy-MM-dd}-{runway.Days}d", runway.At);
            }
        }
    }

    private static (DateOnly Date, DateTimeOffset At)? Latest(DateOnly today, int lookBackDays, Func<DateOnly, DateTimeOffset> at, DateTimeOffset now, Func<DateOnly, bool> onDay)
    {
        for (var d = 0; d <= lookBackDays; d++)
        {
            var date = today.AddDays(-d);
            if (onDay(date) && at(date) is var t && t <= now)
            {
                return (date, t);
            }
        }

        return null;
    }

    private static DateTimeOffset At(DateOnly date, TimeOnly time, TimeSpan jitter) =>
        new DateTimeOffset(date.ToDateTime(time), TimeSpan.Zero) + jitter;
}

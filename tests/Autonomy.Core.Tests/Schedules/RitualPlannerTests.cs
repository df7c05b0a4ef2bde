using System.Collections.Immutable;
using Autonomy.Schedules;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Schedules;

public class RitualPlannerTests
{
    private static readonly DateTimeOffset Base = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Rituals = [TriggerRegistry.DailyBrief, TriggerRegistry.WeeklyReview, TriggerRegistry.RenewalRunway];

    private static readonly Gen<TimeOnly> TimeOfDay = Gen.Int[0, (24 * 60) - 1].Select(m => TimeOnly.FromTimeSpan(TimeSpan.FromMinutes(m)));

    private static readonly Gen<RitualConfig> Config = Gen.Select(
        TimeOfDay,
        Gen.Enum<DayOfWeek>(),
        TimeOfDay,
        Gen.Int[1, 120].Array[0, 4].Select(a => a.ToImmutableArray()),
        Gen.Int[0, 60].Select(m => TimeSpan.FromMinutes(m)),
        Gen.Int[0, 12 * 60].Select(m => TimeSpan.FromMinutes(m)),
        (brief, day, review, runway, jitter, catchUp) => new RitualConfig(brief, day, review, runway, jitter, catchUp));

    private static readonly Gen<string> Key = Gen.Int[0, 10_000].Select(i => $"tenant-{i % 7}/account-{i}");

    [Fact]
    public void JitterIsDeterministicAndWithinItsRange() =>
        Gen.Select(Key, Gen.OneOf(Rituals), Gen.Long[-1_000, TimeSpan.TicksPerDay]).Sample((key, ritual, ticks) =>
        {
            var config = RitualConfig.Default with { Jitter = TimeSpan.FromTicks(ticks) };
            var jitter = RitualPlanner.Jitter(config, key, ritual);

            Assert.Equal(jitter, RitualPlanner.Jitter(config with { }, new string(key), new string(ritual)));
            if (ticks <= 0)
            {
                Assert.Equal(TimeSpan.Zero, jitter);
            }
            else
            {
                Assert.InRange(jitter.Ticks, 0, ticks - 1);
            }
        }, iter: 10_000);

    [Fact]
    public void JitterSpreadsAccounts()
    {
        var offsets = Enumerable.Range(0, 200).Select(i => RitualPlanner.Jitter(RitualConfig.Default, $"t/a{i}", TriggerRegistry.DailyBrief)).Distinct().Count();
        Assert.True(offsets > 150, $"only {offsets} distinct offsets for 200 accounts");
    }

    [Fact]
    public void PlanReportsOnlyDueUnhandledOccurrencesWithTheRightDisposition() =>
        Gen.Select(
            Config,
            Key,
            Gen.Int[0, 2 * 365 * 24 * 60].Select(m => Base.AddMinutes(m)),
            Gen.Int[-60, 20 * 24 * 60],
            Gen.Select(Gen.OneOf(Rituals), Gen.Int[-20 * 24 * 60, 60]).List[0, 3],
            Gen.Int[-10, 130].Nullable(0.3),
            Gen.Bool)
            .Sample((config, key, now, sinceMinutesAgo, handledOffsets, renewalInDays, runInFlight) =>
            {
                var scheduledSince = now.AddMinutes(-sinceMinutesAgo);
                var handled = handledOffsets.GroupBy(h => h.Item1).ToImmutableDictionary(g => g.Key, g => now.AddMinutes(g.First().Item2));
                var renewal = renewalInDays is { } d ? DateOnly.FromDateTime(now.UtcDateTime).AddDays(d) : (DateOnly?)null;

                var ticks = RitualPlanner.Plan(config, key, scheduledSince, handled, renewal, runInFlight, now);

                Assert.Equal(ticks.Length, ticks.Select(t => t.Ritual).Distinct().Count());
                foreach (var tick in ticks)
                {
                    Assert.Contains(tick.Ritual, Rituals);
                    Assert.True(tick.ScheduledAt > scheduledSince, $"{tick.OccurrenceKey} at {tick.ScheduledAt:O} is not after {scheduledSince:O}");
                    Assert.True(tick.ScheduledAt <= now, $"{tick.OccurrenceKey} is in the future");
                    Assert.False(handled.TryGetValue(tick.Ritual, out var last) && tick.ScheduledAt <= last, $"{tick.OccurrenceKey} was already handled");
                    var expected = now - tick.ScheduledAt > config.CatchUpWindow ? TickDisposition.Missed
                        : runInFlight ? TickDisposition.SkippedOverlap
                        : TickDisposition.Fire;
                    Assert.Equal(expected, tick.Disposition);
                    Assert.False(string.IsNullOrWhiteSpace(tick.Reason));
                    Assert.StartsWith(tick.Ritual + ":", tick.OccurrenceKey, StringComparison.Ordinal);
                }

                Assert.Equal(ticks.ToArray(), RitualPlanner.Plan(config, key, scheduledSince, handled, renewal, runInFlight, now).ToArray());
            }, iter: 5_000);

    [Fact]
    public void NextIsAlwaysInTheFuture() =>
        Gen.Select(Config, Key, Gen.Int[0, 2 * 365 * 24 * 60].Select(m => Base.AddMinutes(m)), Gen.Int[-10, 130].Nullable(0.5)).Sample((config, key, now, renewalInDays) =>
        {
            var renewal = renewalInDays is { } d ? DateOnly.FromDateTime(now.UtcDateTime).AddDays(d) : (DateOnly?)null;
            var next = RitualPlanner.Next(config, key, renewal, now);

            Assert.NotNull(next);
            Assert.True(next > now);
            Assert.True(next <= now.AddDays(2), "the daily brief comes at least once a day");
        }, iter: 5_000);

    [Fact]
    public void PollingAtEveryNextFiresEachOccurrenceExactlyOnce() =>
        Gen.Select(Config, Key, Gen.Int[0, 365 * 24 * 60].Select(m => Base.AddMinutes(m)), Gen.Int[1, 100].Nullable(0.3)).Sample((config, key, start, renewalInDays) =>
        {
            var renewal = renewalInDays is { } d ? DateOnly.FromDateTime(start.UtcDateTime).AddDays(d) : (DateOnly?)null;
            var handled = ImmutableDictionary<string, DateTimeOffset>.Empty;
            var seen = new HashSet<string>();
            var now = start;
            for (var i = 0; i < 40; i++)
            {
                now = RitualPlanner.Next(config, key, renewal, now)!.Value;
                var ticks = RitualPlanner.Plan(config, key, start, handled, renewal, runInFlight: false, now);

                Assert.NotEmpty(ticks);
                foreach (var tick in ticks)
                {
                    Assert.Equal(now, tick.ScheduledAt);
                    Assert.Equal(TickDisposition.Fire, tick.Disposition);
                    Assert.True(seen.Add(tick.OccurrenceKey), $"{tick.OccurrenceKey} reported twice");
                    handled = handled.SetItem(tick.Ritual, tick.ScheduledAt);
                }
            }
        }, iter: 1_000);

    [Fact]
    public void TicksAfterDowntimeAreMissedBeyondTheCatchUpWindow()
    {
        var config = RitualConfig.Default with { Jitter = TimeSpan.Zero };
        var since = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var briefAt = new DateTimeOffset(2025, 1, 2, 7, 0, 0, TimeSpan.Zero);
        var none = ImmutableDictionary<string, DateTimeOffset>.Empty;

        Assert.Equal(TickDisposition.Fire, Brief(RitualPlanner.Plan(config, "k", since, none, null, false, briefAt.AddHours(6))).Disposition);
        Assert.Equal(TickDisposition.Missed, Brief(RitualPlanner.Plan(config, "k", since, none, null, false, briefAt.AddHours(6).AddTicks(1))).Disposition);
        Assert.Equal(TickDisposition.SkippedOverlap, Brief(RitualPlanner.Plan(config, "k", since, none, null, true, briefAt.AddMinutes(1))).Disposition);
        Assert.DoesNotContain(RitualPlanner.Plan(config, "k", briefAt, none, null, false, briefAt.AddMinutes(1)), t => t.Ritual == TriggerRegistry.DailyBrief);

        static RitualTick Brief(ImmutableArray<RitualTick> ticks) => Assert.Single(ticks, t => t.Ritual == TriggerRegistry.DailyBrief);
    }
}

using System.Collections.Immutable;
using Autonomy.Budgets;
using CsCheck;

namespace Autonomy.Tests.Budgets;

public class AutonomyBudgetTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Types = ["CREATE_TASK", "LOG_NOTE", "DRAFT_EMAIL"];

    private static readonly Gen<BudgetDecay?> Decay = Gen.Frequency(
        (1, Gen.Const((BudgetDecay?)null)),
        (3, Gen.Select(Gen.OneOf<double>(Gen.Double[0.25, 10], Gen.OneOf(0.0, -1.0)), Gen.Int[-2, 12], (h, f) => (BudgetDecay?)new BudgetDecay(h, f))));

    private static readonly Gen<AutonomyBudgetConfig> Config = Gen.Select(
        Gen.Int[0, 10],
        Gen.Select(Gen.OneOf(Types), Gen.Int[0, 6]).List[0, 3].Select(l => l.GroupBy(p => p.Item1).ToImmutableDictionary(g => g.Key, g => g.First().Item2)),
        Decay,
        (max, perType, decay) => new AutonomyBudgetConfig(max, perType, decay));

    /// <summary>Attempts in time order: gaps of up to a day and a half, so runs span several days with idle stretches.</summary>
    private static readonly Gen<List<(DateTimeOffset At, string Type)>> Attempts =
        Gen.Select(Gen.Frequency((6, Gen.Int[0, 120]), (1, Gen.Int[0, 4 * 24 * 60])), Gen.OneOf(Types)).List[0, 80].Select(steps =>
        {
            var at = Start;
            return steps.Select(s => (At: at += TimeSpan.FromMinutes(s.Item1), Type: s.Item2)).ToList();
        });

    [Fact]
    public void ConsumedActionsNeverExceedTheDaysLimits() =>
        Gen.Select(Config, Attempts).Sample((config, attempts) =>
        {
            var usage = BudgetUsage.Start(AutonomyBudget.DayOf(Start));
            var dayLimit = new Dictionary<DateOnly, int>();
            var consumed = new List<(DateOnly Day, string Type)>();
            foreach (var (at, type) in attempts)
            {
                var day = AutonomyBudget.DayOf(at);

                // The day's allowance is what it was before the day's first action; using it must not refill it.
                dayLimit.TryAdd(day, AutonomyBudget.EffectiveAccountLimit(config, usage, day));
                var check = AutonomyBudget.Check(config, usage, type, at);
                if (check.Allowed)
                {
                    usage = AutonomyBudget.Consume(usage, type, at);
                    consumed.Add((day, type));
                }
            }

            foreach (var day in consumed.GroupBy(c => c.Day))
            {
                Assert.True(day.Count() <= dayLimit[day.Key], $"{day.Count()} actions on {day.Key}, limit {dayLimit[day.Key]}");
                Assert.True(day.Count() <= config.MaxPerAccountPerDay);
                foreach (var perType in day.GroupBy(c => c.Type))
                {
                    if (config.MaxPerActionTypePerDay.TryGetValue(perType.Key, out var typeLimit))
                    {
                        Assert.True(perType.Count() <= typeLimit, $"{perType.Count()} {perType.Key} on {day.Key}, limit {typeLimit}");
                    }
                }
            }
        }, iter: 5_000);

    [Fact]
    public void BudgetIsUsedUpToItsLimitWithoutDecay() =>
        Gen.Select(Config.Select(c => c with { Decay = null, MaxPerActionTypePerDay = ImmutableDictionary<string, int>.Empty }), Attempts).Sample((config, attempts) =>
        {
            var usage = BudgetUsage.Start(AutonomyBudget.DayOf(Start));
            foreach (var day in attempts.GroupBy(a => AutonomyBudget.DayOf(a.At)))
            {
                var granted = 0;
                foreach (var (at, type) in day)
                {
                    if (AutonomyBudget.Check(config, usage, type, at).Allowed)
                    {
                        usage = AutonomyBudget.Consume(usage, type, at);
                        granted++;
                    }
                }

                // Counters reset each day: every day gets its full allowance again.
                Assert.Equal(Math.Min(day.Count(), config.MaxPerAccountPerDay), granted);
            }
        }, iter: 2_000);

    [Fact]
    public void DecayMatchesTheDocumentedFormula() =>
        Gen.Select(Gen.Int[0, 10], Gen.Double[0.1, 30], Gen.Int[-3, 12], Gen.Int[0, 60], Gen.Int[-5, 120], Gen.Bool)
            .Sample((max, halfLife, floor, lastUsedOffset, dayOffset, everUsed) =>
            {
                var tracked = new DateOnly(2025, 1, 1);
                var lastUsed = tracked.AddDays(lastUsedOffset);
                var usage = BudgetUsage.Start(tracked) with { Day = lastUsed, LastUsedDay = everUsed ? lastUsed : null };
                var since = everUsed ? lastUsed : tracked;

                // On the day of the last use itself, the allowance is the one that day started with (tested below).
                dayOffset = everUsed ? Math.Max(1, dayOffset) : dayOffset;
                var day = since.AddDays(dayOffset);
                var config = new AutonomyBudgetConfig(max, ImmutableDictionary<string, int>.Empty, new BudgetDecay(halfLife, floor));

                var idleDays = Math.Max(0, dayOffset - 1);
                var expected = Math.Min(max, Math.Max(floor, (int)Math.Floor(max * Math.Pow(0.5, idleDays / halfLife))));

                Assert.Equal(expected, AutonomyBudget.EffectiveAccountLimit(config, usage, day));
            }, iter: 20_000);

    [Fact]
    public void DecayIsMonotoneNonIncreasingInIdleDays() =>
        Gen.Select(Gen.Int[0, 10], Gen.Double[0.1, 30], Gen.Int[-3, 12], Gen.Int[-3, 200]).Sample((max, halfLife, floor, idle) =>
        {
            var since = new DateOnly(2025, 1, 1);
            var usage = BudgetUsage.Start(since) with { LastUsedDay = since };
            var config = new AutonomyBudgetConfig(max, ImmutableDictionary<string, int>.Empty, new BudgetDecay(halfLife, floor));

            var today = AutonomyBudget.EffectiveAccountLimit(config, usage, since.AddDays(idle));
            var tomorrow = AutonomyBudget.EffectiveAccountLimit(config, usage, since.AddDays(idle + 1));

            Assert.True(tomorrow <= today, $"{today} then {tomorrow}");
            Assert.InRange(today, Math.Min(max, Math.Max(0, floor)), max);
        }, iter: 20_000);

    [Fact]
    public void WithoutDecayTheLimitIsTheMaximum() =>
        Gen.Select(Gen.Int[0, 10], Gen.OneOf(0.0, -1.0, double.NaN), Gen.Int[0, 400]).Sample((max, halfLife, idle) =>
        {
            var since = new DateOnly(2025, 1, 1);
            var usage = BudgetUsage.Start(since);
            Assert.Equal(max, AutonomyBudget.EffectiveAccountLimit(new AutonomyBudgetConfig(max, ImmutableDictionary<string, int>.Empty, null), usage, since.AddDays(idle)));
            Assert.Equal(max, AutonomyBudget.EffectiveAccountLimit(new AutonomyBudgetConfig(max, ImmutableDictionary<string, int>.Empty, new BudgetDecay(halfLife, 0)), usage, since.AddDays(idle)));
        });

    [Fact]
    public void UsingTheAllowanceDoesNotRefillTheDecayedLimitTheSameDay()
    {
        var config = new AutonomyBudgetConfig(8, ImmutableDictionary<string, int>.Empty, new BudgetDecay(HalfLifeDays: 1, Floor: 1));
        var usage = BudgetUsage.Start(new DateOnly(2025, 1, 1)) with { LastUsedDay = new DateOnly(2025, 1, 1) };
        var now = new DateTimeOffset(2025, 1, 5, 9, 0, 0, TimeSpan.Zero);  // three idle days: 8 * 0.5^3 = 1

        var granted = 0;
        for (var i = 0; i < 10; i++, now = now.AddMinutes(5))
        {
            if (AutonomyBudget.Check(config, usage, "CREATE_TASK", now).Allowed)
            {
                usage = AutonomyBudget.Consume(usage, "CREATE_TASK", now);
                granted++;
            }
        }

        Assert.Equal(1, granted);
        Assert.Equal(8, AutonomyBudget.EffectiveAccountLimit(config, usage, new DateOnly(2025, 1, 6)));
    }

    [Fact]
    public void CountersResetOnANewUtcDay()
    {
        var config = new AutonomyBudgetConfig(2, ImmutableDictionary<string, int>.Empty.Add("CREATE_TASK", 1), null);
        var evening = new DateTimeOffset(2025, 1, 1, 23, 59, 59, TimeSpan.Zero);
        var usage = AutonomyBudget.Consume(AutonomyBudget.Consume(BudgetUsage.Start(AutonomyBudget.DayOf(evening)), "CREATE_TASK", evening), "LOG_NOTE", evening);

        Assert.False(AutonomyBudget.Check(config, usage, "LOG_NOTE", evening).Allowed);
        var midnight = AutonomyBudget.Check(config, usage, "CREATE_TASK", new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero));
        Assert.True(midnight.Allowed);
        Assert.Equal(0, midnight.AccountUsed);
        Assert.Equal(0, midnight.TypeUsed);

        // Days are UTC days: 01:00 at +02:00 is still the previous UTC day.
        Assert.False(AutonomyBudget.Check(config, usage, "LOG_NOTE", new DateTimeOffset(2025, 1, 2, 1, 0, 0, TimeSpan.FromHours(2))).Allowed);
    }

    [Fact]
    public void PerTypeLimitRefusesOnlyThatType()
    {
        var config = new AutonomyBudgetConfig(5, ImmutableDictionary<string, int>.Empty.Add("CREATE_TASK", 1), null);
        var now = new DateTimeOffset(2025, 1, 1, 10, 0, 0, TimeSpan.Zero);
        var usage = AutonomyBudget.Consume(BudgetUsage.Start(AutonomyBudget.DayOf(now)), "CREATE_TASK", now);

        var task = AutonomyBudget.Check(config, usage, "CREATE_TASK", now);
        Assert.False(task.Allowed);
        Assert.Equal(1, task.TypeLimit);
        Assert.True(AutonomyBudget.Check(config, usage, "LOG_NOTE", now).Allowed);
    }

    [Fact]
    public void UsingTheAllowanceNeverChangesThatDaysLimit() =>
        Gen.Select(Config, Attempts, Gen.Int[0, 3]).Sample((config, attempts, trackedEarlier) =>
        {
            // Tracking may start before the first use, so "since the last use" and "since tracked" differ.
            var usage = BudgetUsage.Start(AutonomyBudget.DayOf(Start).AddDays(-trackedEarlier));
            foreach (var (at, type) in attempts)
            {
                var day = AutonomyBudget.DayOf(at);
                if (!AutonomyBudget.Check(config, usage, type, at).Allowed)
                {
                    continue;
                }

                var before = AutonomyBudget.EffectiveAccountLimit(config, usage, day);
                usage = AutonomyBudget.Consume(usage, type, at);

                Assert.Equal(before, AutonomyBudget.EffectiveAccountLimit(config, usage, day));
            }
        }, iter: 5_000);

    [Fact]
    public void FirstActionOfADayRemembersTheUseBeforeIt()
    {
        var config = new AutonomyBudgetConfig(16, ImmutableDictionary<string, int>.Empty, new BudgetDecay(HalfLifeDays: 1, Floor: 0));
        var usage = BudgetUsage.Start(new DateOnly(2025, 1, 1));
        usage = AutonomyBudget.Consume(usage, "CREATE_TASK", new DateTimeOffset(2025, 1, 3, 9, 0, 0, TimeSpan.Zero));
        Assert.Equal((new DateOnly(2025, 1, 3), (DateOnly?)null), (usage.LastUsedDay, usage.PreviousUsedDay));

        // Four idle days after the 3rd: 16 * 0.5^4 = 1 on the 8th, before and after its first action.
        var eighth = new DateTimeOffset(2025, 1, 8, 9, 0, 0, TimeSpan.Zero);
        Assert.Equal(1, AutonomyBudget.Check(config, usage, "CREATE_TASK", eighth).AccountLimit);
        usage = AutonomyBudget.Consume(usage, "CREATE_TASK", eighth);

        Assert.Equal((new DateOnly(2025, 1, 8), (DateOnly?)new DateOnly(2025, 1, 3)), (usage.LastUsedDay, usage.PreviousUsedDay));
        var again = AutonomyBudget.Check(config, usage, "CREATE_TASK", eighth.AddHours(1));
        Assert.Equal((false, 1, 1), (again.Allowed, again.AccountLimit, again.AccountUsed));

        // A second action the same day keeps the use before it.
        var sameDay = AutonomyBudget.Consume(usage, "LOG_NOTE", eighth.AddHours(2));
        Assert.Equal((DateOnly?)new DateOnly(2025, 1, 3), sameDay.PreviousUsedDay);
    }

    [Fact]
    public void CheckDetailSaysWhatIsCountedAgainstWhichLimit()
    {
        var config = new AutonomyBudgetConfig(3, ImmutableDictionary<string, int>.Empty.Add("CREATE_TASK", 1), null);
        var now = new DateTimeOffset(2025, 1, 1, 10, 0, 0, TimeSpan.Zero);
        var usage = BudgetUsage.Start(AutonomyBudget.DayOf(now));

        var first = AutonomyBudget.Check(config, usage, "CREATE_TASK", now);
        Assert.Equal(new BudgetCheck(true, "1 of 3 autonomous actions for this account today", 3, 0, 1, 0), first);

        usage = AutonomyBudget.Consume(usage, "CREATE_TASK", now);
        Assert.Equal(new BudgetCheck(false, "1 of 1 autonomous CREATE_TASK actions today", 3, 1, 1, 1), AutonomyBudget.Check(config, usage, "CREATE_TASK", now));
        Assert.Equal(new BudgetCheck(true, "2 of 3 autonomous actions for this account today", 3, 1, null, 0), AutonomyBudget.Check(config, usage, "LOG_NOTE", now));

        usage = AutonomyBudget.Consume(AutonomyBudget.Consume(usage, "LOG_NOTE", now), "LOG_NOTE", now);
        Assert.Equal(new BudgetCheck(false, "3 of 3 autonomous actions for this account today", 3, 3, null, 2), AutonomyBudget.Check(config, usage, "LOG_NOTE", now));
    }
}

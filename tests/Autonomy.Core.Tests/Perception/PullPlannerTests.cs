using Autonomy.Perception;
using CsCheck;

namespace Autonomy.Tests.Perception;

public class PullPlannerTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private const int Fresh = 0;
    private const int Empty = 1;
    private const int Signal = 2;
    private const int Retier = 3;
    private const int Defer = 4;
    private const int Skip = 5;
    private const int Fail = 6;

    /// <summary>Cadences with min ≤ max per tier, from seconds to days.</summary>
    private static readonly Gen<PullCadence> Cadence =
        Gen.Select(Gen.Int[1, 86_400], Gen.Int[0, 86_400]).Array[3].Select(b =>
        {
            PullBounds Bounds((int Min, int Extra) x) => new(TimeSpan.FromSeconds(x.Min), TimeSpan.FromSeconds(x.Min + x.Extra));
            return new PullCadence(Bounds(b[0]), Bounds(b[1]), Bounds(b[2]));
        });

    private static readonly Gen<PullTuning> Tuning =
        Gen.Select(Gen.Int[1, 5], Gen.Double[1.0, 4.0], Gen.Int[1, 5], Gen.Double[0.1, 1.0], (la, l, sa, s) => new PullTuning(la, l, sa, s));

    /// <summary>What happens to a connector's cadence: pulls (fresh or empty), pushed signals, tier changes, deferrals, skips, failures.</summary>
    private static readonly Gen<List<(int Op, HeatTier Tier, int Minutes)>> Ops =
        Gen.Select(Gen.Frequency((4, Gen.Const(Fresh)), (4, Gen.Const(Empty)), (2, Gen.Const(Signal)), (2, Gen.Const(Retier)), (1, Gen.Const(Defer)), (1, Gen.Const(Skip)), (1, Gen.Const(Fail))),
            Gen.Enum<HeatTier>(), Gen.Int[0, 24 * 60]).List[0, 80];

    private static PullState Apply(PullState s, PullCadence cadence, PullTuning tuning, (int Op, HeatTier Tier, int Minutes) op, DateTimeOffset now) => op.Op switch
    {
        Fresh => PullPlanner.Completed(s, cadence, op.Tier, tuning, fresh: true, now),
        Empty => PullPlanner.Completed(s, cadence, op.Tier, tuning, fresh: false, now),
        Signal => PullPlanner.OnSignal(s, cadence, op.Tier, tuning, now),
        Retier => PullPlanner.Retier(s, cadence, op.Tier),
        Defer => PullPlanner.Deferred(s, now.AddMinutes(op.Minutes)),
        Skip => PullPlanner.Skipped(s, now.AddMinutes(op.Minutes)),
        _ => PullPlanner.Failed(s, cadence, op.Tier, now),
    };

    [Fact]
    public void IntervalStaysWithinTheTiersBoundsAndTheNextPullWithinThemWhenNothingHoldsIt() =>
        Gen.Select(Cadence, Tuning, Gen.Enum<HeatTier>(), Gen.Double.Unit, Ops).Sample((cadence, tuning, tier, phase, ops) =>
        {
            var s = PullPlanner.Start(cadence, tier, phase, Start);
            var now = Start;
            Check(s, cadence);
            Assert.InRange(s.NextPullAt, Start, Start + cadence.For(tier).Max);
            foreach (var op in ops)
            {
                now = now.AddMinutes(op.Minutes);
                s = Apply(s, cadence, tuning, op, now);
                Check(s, cadence);
            }
        }, iter: 5_000);

    private static void Check(PullState s, PullCadence cadence)
    {
        var bounds = cadence.For(s.Tier);
        Assert.InRange(s.Interval, bounds.Min, bounds.Max);
        Assert.True(s.NextPullAt >= s.Anchor + bounds.Min, "the next pull comes no sooner than the tier's minimum after the anchor");
        if (s.NotBefore is null)
        {
            Assert.True(s.NextPullAt <= s.Anchor + bounds.Max, "with nothing holding it, the next pull comes no later than the tier's maximum");
        }
    }

    [Fact]
    public void PullsDrivenAtTheirDueTimeAreSpacedWithinTheTiersBounds() =>
        Gen.Select(Cadence, Tuning, Gen.Enum<HeatTier>(), Gen.Bool.List[1, 60]).Sample((cadence, tuning, tier, outcomes) =>
        {
            var s = PullPlanner.Start(cadence, tier, 0, Start);
            var last = s.NextPullAt;
            s = PullPlanner.Completed(s, cadence, tier, tuning, outcomes[0], last);
            foreach (var fresh in outcomes.Skip(1))
            {
                var due = s.NextPullAt;
                Assert.InRange(due - last, cadence.For(tier).Min, cadence.For(tier).Max);
                s = PullPlanner.Completed(s, cadence, tier, tuning, fresh, due);
                last = due;
            }
        }, iter: 5_000);

    [Fact]
    public void TheIntervalLengthensOnlyAfterEnoughEmptyPullsInARowAndShortensOnlyAfterEnoughFreshOnes() =>
        Gen.Select(Cadence, Tuning, Gen.Enum<HeatTier>(), Gen.Frequency((3, Gen.Const(Fresh)), (5, Gen.Const(Empty)), (1, Gen.Const(Signal))).List[1, 100])
            .Sample((cadence, tuning, tier, ops) =>
            {
                var s = PullPlanner.Start(cadence, tier, 0, Start);
                var now = Start;
                var run = (Kind: -1, Length: 0);
                foreach (var op in ops)
                {
                    now = s.NextPullAt;
                    var fresh = op != Empty;
                    var counted = op != Signal || (now > (s.LastPullAt ?? s.Anchor) && (s.SignalCountedAt is null || s.SignalCountedAt < (s.LastPullAt ?? s.Anchor)));
                    if (counted)
                    {
                        run = run.Kind == (fresh ? 1 : 0) ? (run.Kind, run.Length + 1) : (fresh ? 1 : 0, 1);
                    }

                    var before = s.Interval;
                    s = Apply(s, cadence, tuning, (op, tier, 0), now);
                    if (s.Interval > before)
                    {
                        Assert.False(fresh, "fresh data never lengthens the interval");
                        Assert.True(run.Length >= tuning.LengthenAfter, $"lengthened after {run.Length} empty pulls, needs {tuning.LengthenAfter}");
                    }

                    if (s.Interval < before)
                    {
                        Assert.True(fresh, "an empty pull never shortens the interval");
                        Assert.True(run.Length >= tuning.ShortenAfter, $"shortened after {run.Length} fresh observations, needs {tuning.ShortenAfter}");
                    }

                    if (s.Interval != before)
                    {
                        run = (-1, 0);
                    }
                }
            }, iter: 5_000);

    [Fact]
    public void AlternatingOutcomesNeverLengthenTheInterval() =>
        Gen.Select(Cadence, Gen.Enum<HeatTier>(), Gen.Bool, Gen.Int[2, 60]).Sample((cadence, tier, startFresh, count) =>
        {
            var tuning = PullTuning.Default with { LengthenAfter = 2 };
            var s = PullPlanner.Start(cadence, tier, 0, Start);
            var start = s.Interval;
            for (var i = 0; i < count; i++)
            {
                var before = s.Interval;
                s = PullPlanner.Completed(s, cadence, tier, tuning, fresh: (i % 2 == 0) == startFresh, s.NextPullAt);
                Assert.True(s.Interval <= before, $"pull {i}: {before} lengthened to {s.Interval}");
            }

            Assert.True(s.Interval <= start);
        }, iter: 2_000);

    [Fact]
    public void EmptyPullsBackOffToTheMaximumAndFreshDataBringsTheMinimum()
    {
        var cadence = PullCadence.Default;
        var s = PullPlanner.Start(cadence, HeatTier.Warm, 0, Start) with { Interval = cadence.Warm.Min };
        for (var i = 0; i < 40; i++)
        {
            s = PullPlanner.Completed(s, cadence, HeatTier.Warm, PullTuning.Default, fresh: false, s.NextPullAt);
        }

        Assert.Equal(cadence.Warm.Max, s.Interval);
        for (var i = 0; i < 10; i++)
        {
            s = PullPlanner.Completed(s, cadence, HeatTier.Warm, PullTuning.Default, fresh: true, s.NextPullAt);
        }

        Assert.Equal(cadence.Warm.Min, s.Interval);
    }

    [Fact]
    public void ABurstOfPushedSignalsCountsAsOneFreshObservationPerPullCycle()
    {
        var cadence = PullCadence.Default;
        var tuning = PullTuning.Default with { ShortenAfter = 1, Shorten = 0.5 };
        var s = PullPlanner.Completed(PullPlanner.Start(cadence, HeatTier.Cold, 0, Start), cadence, HeatTier.Cold, tuning, fresh: false, Start);
        var interval = s.Interval;

        for (var i = 1; i <= 50; i++)
        {
            s = PullPlanner.OnSignal(s, cadence, HeatTier.Cold, tuning, Start.AddMinutes(i));
        }

        Assert.Equal(cadence.Cold.Clamp(interval * 0.5), s.Interval);
        s = PullPlanner.Completed(s, cadence, HeatTier.Cold, tuning, fresh: false, s.NextPullAt);
        var afterPull = s.Interval;
        s = PullPlanner.OnSignal(s, cadence, HeatTier.Cold, tuning, s.LastPullAt!.Value.AddMinutes(1));
        Assert.Equal(cadence.Cold.Clamp(afterPull * 0.5), s.Interval);
    }

    [Fact]
    public void AnAccountThatTurnsHotIsDueWithinTheHotMaximumOfItsLastPull()
    {
        var cadence = PullCadence.Default;
        var s = PullPlanner.Completed(PullPlanner.Start(cadence, HeatTier.Cold, 0, Start), cadence, HeatTier.Cold, PullTuning.Default, fresh: false, Start);
        Assert.False(PullPlanner.IsDue(s, Start.AddHours(1)));

        s = PullPlanner.Retier(s, cadence, HeatTier.Hot);

        Assert.Equal(cadence.Hot.Max, s.Interval);
        Assert.Equal(Start + cadence.Hot.Max, s.NextPullAt);
        Assert.True(PullPlanner.IsDue(s, Start.AddHours(1)));
    }

    [Fact]
    public void DeferralsSkipsAndFailuresNeverBringTheNextPullForward() =>
        Gen.Select(Cadence, Gen.Enum<HeatTier>(), Gen.Int[0, 3], Gen.Int[0, 10_000], Gen.Int[0, 10_000]).Sample((cadence, tier, kind, nowMinutes, holdMinutes) =>
        {
            var s = PullPlanner.Start(cadence, tier, 0.5, Start);
            var now = Start.AddMinutes(nowMinutes);
            var before = s.NextPullAt;
            var next = kind switch
            {
                0 => PullPlanner.Deferred(s, now.AddMinutes(holdMinutes)),
                1 => PullPlanner.Skipped(s, now.AddMinutes(holdMinutes)),
                _ => PullPlanner.Failed(s, cadence, tier, now),
            };

            Assert.True(next.NextPullAt >= before);
            Assert.True(next.NextPullAt >= now);
            if (kind == 2 || holdMinutes > 0)
            {
                Assert.False(PullPlanner.IsDue(next, now), "held: not due at the moment it was held");
            }
        }, iter: 5_000);

    [Fact]
    public void FailuresBackOffFromTheMinimumToTheMaximum()
    {
        var cadence = PullCadence.Default;
        var s = PullPlanner.Start(cadence, HeatTier.Hot, 0, Start);
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            s = PullPlanner.Failed(s, cadence, HeatTier.Hot, Start);
            waits.Add(s.NotBefore!.Value - Start);
        }

        Assert.Equal([TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15)], waits);
        s = PullPlanner.Completed(s, cadence, HeatTier.Hot, PullTuning.Default, fresh: true, Start.AddHours(1));
        Assert.Equal(0, s.Failures);
        Assert.Null(s.NotBefore);
    }

    [Fact]
    public void PhaseIsStableAndSpreadsAccounts()
    {
        Assert.Equal(PullPlanner.Phase("t/acc-1/crm"), PullPlanner.Phase("t/acc-1/crm"));
        var phases = Enumerable.Range(0, 1_000).Select(i => PullPlanner.Phase($"t/acc-{i}/crm")).ToList();
        Assert.All(phases, p => Assert.InRange(p, 0, 1));
        Assert.True(phases.Count(p => p < 0.5) is > 400 and < 600);
    }
}

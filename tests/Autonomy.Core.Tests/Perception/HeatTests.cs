using Autonomy.Perception;
using CsCheck;

namespace Autonomy.Tests.Perception;

public class HeatTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Gen<double> AnyValue = Gen.OneOf<double>(
        Gen.Double[-2, 3],
        Gen.Double.Unit,
        Gen.OneOf(double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, 1.0));

    /// <summary>Signals, posture changes and plain reads at increasing times.</summary>
    private static readonly Gen<List<(int Minutes, int Kind, double Value)>> Ops =
        Gen.Select(Gen.Frequency((4, Gen.Int[0, 120]), (1, Gen.Int[0, 10 * 24 * 60])), Gen.Int[0, 2], AnyValue).List[0, 60];

    private static HeatState Run(List<(int Minutes, int Kind, double Value)> ops, Action<HeatState>? check = null)
    {
        var state = HeatState.Cold(Start);
        var at = Start;
        foreach (var (minutes, kind, value) in ops)
        {
            at = at.AddMinutes(minutes);
            state = kind switch
            {
                0 => Heat.OnSignal(state, value, at),
                1 => Heat.WithPosture(state, value, at),
                _ => Heat.At(state, at),
            };
            check?.Invoke(state);
        }

        return state;
    }

    /// <summary>
    /// The ingest path's one-copy forms give exactly what the composed ones do: a signal is the decayed state plus its
    /// value (bit for bit, the heat is in every SIGNAL_INGESTED payload), and the tier is the decayed state's.
    /// </summary>
    [Fact]
    public void OnSignalAndTierAtMatchTheDecayedState() =>
        Gen.Select(Ops, Gen.Int[-60, 20 * 24 * 60], AnyValue).Sample((ops, minutes, value) =>
        {
            var state = Run(ops);
            var at = state.UpdatedAt.AddMinutes(minutes);
            var decayed = Heat.At(state, at);
            var score = decayed.Score + Math.Clamp(double.IsFinite(value) ? value : 0, 0, 1);
            Assert.Equal(decayed with { Score = score, Tier = Heat.Classify(decayed.Tier, score) }, Heat.OnSignal(state, value, at));
            Assert.Equal(decayed.Tier, Heat.TierAt(state, at));
        });

    [Fact]
    public void ScoreIsNeverNegativeNorBelowTheBaseline() =>
        Ops.Sample(ops => Run(ops, state =>
        {
            Assert.True(state.Score >= 0, $"score {state.Score}");
            Assert.True(state.Score >= state.PostureBaseline, $"score {state.Score} below baseline {state.PostureBaseline}");
            Assert.InRange(state.PostureBaseline, 0, 4);
            Assert.True(double.IsFinite(state.Score));
        }), iter: 5_000);

    [Fact]
    public void WithoutSignalsScoreDecaysMonotonicallyTowardTheBaseline() =>
        Gen.Select(Ops, Gen.Int[0, 20_000].List[1, 10]).Sample((ops, waits) =>
        {
            var state = Run(ops);
            var previous = state;
            var at = state.UpdatedAt;
            foreach (var wait in waits)
            {
                at = at.AddMinutes(wait);
                var next = Heat.At(state, at);
                Assert.True(next.Score <= previous.Score, $"{previous.Score} rose to {next.Score}");
                Assert.True(next.Score >= state.PostureBaseline);
                Assert.Equal(state.PostureBaseline, next.PostureBaseline);
                previous = next;
            }

            var longAfter = Heat.At(state, at.AddDays(365));
            Assert.Equal(state.PostureBaseline, longAfter.Score, 6);
        }, iter: 5_000);

    [Fact]
    public void DecayHalvesTheScoreEveryHalfLife()
    {
        var state = new HeatState(3.0, Start, HeatTier.Hot, 0);

        Assert.Equal(1.5, Heat.At(state, Start + Heat.HalfLife).Score, 9);
        Assert.Equal(0.75, Heat.At(state, Start + (2 * Heat.HalfLife)).Score, 9);
        Assert.Equal(3.0, Heat.At(state, Start - Heat.HalfLife).Score);
    }

    [Fact]
    public void TierChangesOnlyAcrossTheHysteresisThresholds() =>
        Gen.Select(Gen.Enum<HeatTier>(), Gen.OneOf<double>(Gen.Double[0, 4], Gen.OneOf(Heat.WarmExit, Heat.WarmEnter, Heat.HotExit, Heat.HotEnter)).List[1, 50])
            .Sample((initial, scores) =>
            {
                var tier = initial;
                foreach (var score in scores)
                {
                    var next = Heat.Classify(tier, score);
                    if (tier == HeatTier.Hot && next != HeatTier.Hot)
                    {
                        Assert.True(score < Heat.HotExit, $"left Hot at {score}");
                    }

                    if (tier != HeatTier.Hot && next == HeatTier.Hot)
                    {
                        Assert.True(score >= Heat.HotEnter, $"entered Hot at {score}");
                    }

                    if (tier == HeatTier.Cold && next != HeatTier.Cold)
                    {
                        Assert.True(score >= Heat.WarmEnter, $"left Cold at {score}");
                    }

                    if (tier != HeatTier.Cold && next == HeatTier.Cold)
                    {
                        Assert.True(score < Heat.WarmExit, $"became Cold at {score}");
                    }

                    // The tier is always one the score supports on its own terms.
                    Assert.Equal(next, score >= Heat.HotEnter ? HeatTier.Hot : score < Heat.WarmExit ? HeatTier.Cold : next);
                    tier = next;
                }
            }, iter: 10_000);

    [Fact]
    public void ScoreOscillatingBetweenExitAndEnterNeverFlaps() =>
        Gen.Select(Gen.Enum<HeatTier>(), Gen.Bool, Gen.Double.Unit.List[1, 50]).Sample((initial, hotBand, fractions) =>
        {
            var (low, high) = hotBand ? (Heat.HotExit, Heat.HotEnter) : (Heat.WarmExit, Heat.WarmEnter);
            var start = hotBand && initial == HeatTier.Cold ? HeatTier.Warm : !hotBand && initial == HeatTier.Hot ? HeatTier.Warm : initial;
            var tier = start;
            foreach (var f in fractions)
            {
                tier = Heat.Classify(tier, low + (f * (high - low) * 0.999999));
                Assert.Equal(start, tier);
            }
        }, iter: 5_000);

    [Fact]
    public void PostureOneAloneKeepsAnAccountHot()
    {
        var state = Heat.WithPosture(HeatState.Cold(Start), 1, Start);
        var later = Heat.At(state, Start.AddDays(30));

        Assert.Equal(HeatTier.Hot, later.Tier);
        Assert.Equal(4, later.Score);
    }

    [Fact]
    public void SignalValueIsClampedToOne()
    {
        var state = Heat.OnSignal(HeatState.Cold(Start), 50, Start);
        state = Heat.OnSignal(state, double.NaN, Start);
        state = Heat.OnSignal(state, -3, Start);

        Assert.Equal(1, state.Score);
        Assert.Equal(HeatTier.Warm, state.Tier);
    }

    [Fact]
    public void TickPeriodFollowsTheTier()
    {
        var periods = TickPeriods.Default;
        Assert.Equal(periods.Hot, Heat.TickPeriod(HeatTier.Hot, periods));
        Assert.Equal(periods.Warm, Heat.TickPeriod(HeatTier.Warm, periods));
        Assert.Equal(periods.Cold, Heat.TickPeriod(HeatTier.Cold, periods));
        Assert.True(periods.Hot < periods.Warm && periods.Warm < periods.Cold);
    }
}

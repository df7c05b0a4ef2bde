using Autonomy.Learning;
using CsCheck;

namespace Autonomy.Tests.Learning;

/// <summary>Every calibration is a monotone map into [0, 1]: a higher score is never shown as a lower confidence.</summary>
public class CalibrationTests
{
    private static void AssertMonotone(Calibration c)
    {
        var previous = -1.0;
        for (var x = 0.0; x <= 1.0; x += 0.001)
        {
            var y = c.Apply(x);
            Assert.InRange(y, 0, 1);
            Assert.True(y >= previous - 1e-12, $"{c.Method} fell from {previous} to {y} at {x}");
            previous = y;
        }
    }

    [Fact]
    public void TrainedCalibrationsAreMonotoneWhateverTheOutcomes()
    {
        // Noisy answers, sometimes the opposite of the features: Platt (few) and isotonic (many) must both stay monotone.
        Gen.Select(Gen.Int[1, 1000], Gen.Double[0, 0.6], Gen.Int[5, 600]).Sample((seed, noise, runs) =>
        {
            var examples = LearningData.Slates(LearningData.Opposite, LearningData.Types, runs, noise, seed);
            var model = RankingTrainer.Train("v1", examples, LearningData.Start, TrainingOptions.Default with { PlattBelow = 300 });
            foreach (var c in model.Calibrations.Values)
            {
                AssertMonotone(c);
            }
        }, iter: 12);
    }

    [Fact]
    public void AnyIsotonicStepFunctionWithRisingValuesIsMonotone()
    {
        Gen.Select(Gen.Double.Unit.Array[1, 12], Gen.Double.Unit.Array[12]).Sample((cuts, values) =>
        {
            var edges = cuts.Order().ToArray();
            var v = values.Take(edges.Length).Order().ToArray();
            var c = new Calibration(CalibrationMethod.Isotonic, 1000, "test", Mins: [.. edges], Maxes: [.. edges], Values: [.. v]);
            AssertMonotone(c);
        });
    }

    [Fact]
    public void PlattWithANonPositiveSlopeIsMonotone()
    {
        Gen.Select(Gen.Double[-20, 0], Gen.Double[-10, 10]).Sample((slope, offset) => AssertMonotone(new Calibration(CalibrationMethod.Platt, 10, "test", slope, offset)));
    }

    [Fact]
    public void FewOutcomesArePlattAndManyAreIsotonicAndTheReasonSaysWhy()
    {
        var few = RankingTrainer.Train("v1", LearningData.Slates(LearningData.Opposite, LearningData.Types, 300, 0.1), LearningData.Start);
        var many = RankingTrainer.Train("v2", LearningData.Slates(LearningData.Opposite, LearningData.Types, 4000, 0.1), LearningData.Start);

        Assert.All(few.Calibrations.Values, c => Assert.Equal(CalibrationMethod.Platt, c.Method));
        Assert.All(many.Calibrations.Values, c => Assert.Equal(CalibrationMethod.Isotonic, c.Method));
        Assert.All(many.Calibrations.Values, c => Assert.Contains(">= 1000", c.Why, StringComparison.Ordinal));
        Assert.All(few.Calibrations.Values, c => Assert.Contains("< 1000", c.Why, StringComparison.Ordinal));
    }

    [Fact]
    public void TooFewOrOneSidedOutcomesKeepTheModelsProbability()
    {
        var c = Calibration.Identity(3, "few");

        Assert.Equal(0.37, c.Apply(0.37));
        var model = RankingTrainer.Train("v1", LearningData.Slates(LearningData.Opposite, LearningData.Types, 5), LearningData.Start);
        Assert.All(model.Calibrations.Values, k => Assert.Equal(CalibrationMethod.Identity, k.Method));
    }
}

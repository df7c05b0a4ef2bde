using System.Collections.Immutable;
using Autonomy.Learning;
using CsCheck;

namespace Autonomy.Tests.Learning;

/// <summary>The promotion gate: the lower confidence bound decides, regressions are blocked, real improvements pass.</summary>
public class PromotionGateTests
{
    private static readonly RankerMetrics Metrics = new("x", 0, 0, 0, 0, 0, 0, ImmutableArray<ReliabilityBin>.Empty, null);

    private static ShadowEvaluation Evaluation(Estimate ndcg, Estimate brier, Estimate? snips = null, int slates = 100, int examples = 300) =>
        new("v2", "v1", 1000, examples, slates, Metrics, Metrics, ndcg, ndcg, brier, snips, snips is not null, []);

    private static readonly Gen<Estimate> Advantage = Gen.Select(Gen.Double[-0.5, 0.5], Gen.Double[0, 0.2], Gen.Double[0, 0.2], (v, below, above) => new Estimate(v, v - below, v + above));

    [Fact]
    public void PassesExactlyWhenEveryLowerBoundIsWithinToleranceAndTheEvidenceSuffices()
    {
        Gen.Select(Advantage, Advantage, Gen.Double[0, 0.1], Gen.Int[0, 40], Gen.Bool).Sample((ndcg, brier, tolerance, slates, withSnips) =>
        {
            var snips = withSnips ? brier with { Low = brier.Low - 0.01 } : null;
            var options = new GateOptions(tolerance, 10, 20);

            var decision = PromotionGate.Decide(Evaluation(ndcg, brier, snips, slates), options);

            var ranking = slates >= 10 ? ndcg.Low >= -tolerance : snips is not null && snips.Low >= -tolerance;
            var expected = ranking && brier.Low >= -tolerance;
            Assert.Equal(expected, decision.Passed);
            Assert.NotEmpty(decision.Reasons);
            if (!expected)
            {
                Assert.Contains(decision.Reasons, r => r.Contains("REGRESSION", StringComparison.Ordinal) || r.Contains("INSUFFICIENT_EVIDENCE", StringComparison.Ordinal));
            }
        });
    }

    [Fact]
    public void AnInvertedModelIsBlockedAndTheRealOneIsPromoted()
    {
        var (train, holdout) = Shadow.Split(LearningData.Slates(LearningData.Opposite, LearningData.Types, 300, noise: 0.1));
        var good = RankingTrainer.Train("v1", train, LearningData.Start);
        var bad = good.Inverted("v2");

        var promoted = PromotionGate.Decide(Shadow.Evaluate(good, null, train, holdout), GateOptions.Default);
        var blocked = PromotionGate.Decide(Shadow.Evaluate(bad, good, train, holdout), GateOptions.Default);

        Assert.True(promoted.Passed, string.Join(" ", promoted.Reasons));
        Assert.False(blocked.Passed);
        Assert.Contains(blocked.Reasons, r => r.StartsWith("NDCG_REGRESSION", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutCompleteDecisionsTheExplorationEstimateDecides()
    {
        var fine = new Estimate(0.1, 0.05, 0.15);
        var worse = new Estimate(-0.2, -0.3, -0.1);

        Assert.True(PromotionGate.Decide(Evaluation(worse, fine, snips: fine, slates: 2), GateOptions.Default).Passed);
        var blocked = PromotionGate.Decide(Evaluation(fine, fine, snips: worse, slates: 2), GateOptions.Default);
        Assert.False(blocked.Passed);
        Assert.Contains(blocked.Reasons, r => r.StartsWith("SNIPS_REGRESSION", StringComparison.Ordinal));
    }

    [Fact]
    public void TooLittleHeldOutEvidenceIsRefusedWhateverTheMetrics()
    {
        var great = new Estimate(0.5, 0.4, 0.6);

        var decision = PromotionGate.Decide(Evaluation(great, great, slates: 3, examples: 5), GateOptions.Default);

        Assert.False(decision.Passed);
        Assert.All(decision.Reasons, r => Assert.StartsWith("INSUFFICIENT_EVIDENCE", r, StringComparison.Ordinal));
    }
}

using Autonomy.Learning;
using Autonomy.Outcomes;
using CsCheck;

namespace Autonomy.Tests.Learning;

/// <summary>The metrics on datasets whose answer is known.</summary>
public class MetricsTests
{
    private static LearningExample Example(string run, int position, bool wanted, double propensity = 1, double confidence = 0.5, string type = "CREATE_TASK") =>
        new(run, "acc", "s", position, type, [$"action:{type}"], confidence, RankingModel.Prior, confidence, propensity, LearningData.Start, true, wanted, 1,
            wanted ? OutcomeV1.ExecutionSucceeded : OutcomeV1.IdeaRejected);

    [Fact]
    public void BrierAndEceOfKnownPredictions()
    {
        Prediction[] perfect = [new(1, 1, 1), new(0, 0, 1)];
        Prediction[] half = [new(0.5, 1, 1), new(0.5, 0, 1)];
        Prediction[] wrong = [new(0.9, 0, 1), new(0.9, 0, 1)];

        Assert.Equal(0, RankingMetrics.Brier(perfect));
        Assert.Equal(0.25, RankingMetrics.Brier(half), 12);
        Assert.Equal(0, RankingMetrics.Ece(half), 12);
        Assert.Equal(0.9, RankingMetrics.Ece(wrong), 12);
        Assert.Equal(0.81, RankingMetrics.Brier(wrong), 12);
    }

    [Fact]
    public void EceIsZeroWhenEachBinsMeanMatchesItsRate()
    {
        Gen.Select(Gen.Int[0, 9], Gen.Int[1, 20], Gen.Int[0, 20]).Sample((bin, n, k) =>
        {
            var positives = Math.Min(k, n);
            var p = (double)positives / n;
            if ((int)(p * 10) != bin && !(p == 1 && bin == 9))
            {
                return;
            }

            var predictions = Enumerable.Range(0, n).Select(i => new Prediction(p, i < positives ? 1 : 0, 1)).ToList();
            Assert.Equal(0, RankingMetrics.Ece(predictions), 9);
        });
    }

    [Fact]
    public void PrecisionAndNdcgOfKnownOrders()
    {
        var best = new[] { Example("r", 0, true), Example("r", 1, false), Example("r", 2, false) };
        var worst = new[] { Example("r", 0, false), Example("r", 1, false), Example("r", 2, true) };

        Assert.Equal(1, RankingMetrics.PrecisionAt1(best));
        Assert.Equal(1, RankingMetrics.Ndcg(best), 12);
        Assert.Equal(0, RankingMetrics.PrecisionAt1(worst));
        Assert.Equal(0.5, RankingMetrics.Ndcg(worst), 12);
    }

    [Fact]
    public void NdcgIsOneExactlyWhenEveryWantedProposalComesFirst()
    {
        Gen.Bool.Array[1, 8].Sample(wanted =>
        {
            var slate = wanted.Select((w, i) => Example("r", i, w)).ToList();
            var sorted = wanted.SkipWhile(w => w).All(w => !w);
            if (wanted.Any(w => w))
            {
                Assert.Equal(sorted, Math.Abs(RankingMetrics.Ndcg(slate) - 1) < 1e-12);
            }
        });
    }

    [Fact]
    public void SnipsRecoversTheTargetsRateFromUniformlyExploredLogs()
    {
        // Two proposals per run, shown first uniformly (propensity 0.5). A is wanted 80% of the time, B 20%.
        var random = new Random(3);
        var slates = new List<IReadOnlyList<LearningExample>>();
        for (var i = 0; i < 4000; i++)
        {
            var aFirst = random.NextDouble() < 0.5;
            var a = Example($"r{i}", aFirst ? 0 : 1, random.NextDouble() < 0.8, 0.5, type: "A");
            var b = Example($"r{i}", aFirst ? 1 : 0, random.NextDouble() < 0.2, 0.5, type: "B");
            slates.Add([.. new[] { a, b }.OrderBy(e => e.Position)]);
        }

        var prefersA = RankingMetrics.Snips(slates, e => e.ActionType == "A" ? 1 : 0);
        var prefersB = RankingMetrics.Snips(slates, e => e.ActionType == "B" ? 1 : 0);

        Assert.InRange(prefersA!.Value, 0.76, 0.84);
        Assert.InRange(prefersB!.Value, 0.16, 0.24);
        var interval = RankingMetrics.Bootstrap(slates, s => RankingMetrics.Snips(s, e => e.ActionType == "A" ? 1 : 0), seed: 5)!;
        Assert.True(interval.Low < 0.8 && 0.8 < interval.High, $"{interval}");
    }

    [Fact]
    public void TheBootstrapIntervalHoldsTheMeanAndIsReproducible()
    {
        Gen.Double[-1, 1].Array[1, 200].Sample(values =>
        {
            var a = RankingMetrics.Bootstrap(values, seed: 11, resamples: 200);
            var b = RankingMetrics.Bootstrap(values, seed: 11, resamples: 200);
            Assert.Equal(a, b);
            Assert.InRange(a.Value, a.Low - 1e-12, a.High + 1e-12);
        });
    }

    [Fact]
    public void ShadowEvaluationFindsTheKnownBetterRanker()
    {
        var (train, holdout) = Shadow.Split(LearningData.Slates(LearningData.Opposite, LearningData.Types, 400, noise: 0.05));
        var model = RankingTrainer.Train("v1", train, LearningData.Start);

        var evaluation = Shadow.Evaluate(model, active: null, train, holdout);

        // The prior ties every proposal (same engine confidence) and keeps the engine's order: CREATE_TASK first.
        Assert.InRange(evaluation.ActiveMetrics.PrecisionAt1, 0.4, 0.6);
        Assert.True(evaluation.CandidateMetrics.PrecisionAt1 > 0.9, $"{evaluation.CandidateMetrics}");
        Assert.True(evaluation.NdcgDelta.Low > 0.1, $"{evaluation.NdcgDelta}");
        Assert.True(evaluation.BrierDelta.Low > 0, $"{evaluation.BrierDelta}");
        Assert.Null(evaluation.SnipsDelta);
        Assert.False(evaluation.ExposureDependedOnRanker);
    }
}

using Autonomy.Learning;
using Autonomy.Perception;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Autonomy.Tests.Learning;

/// <summary>Training learns per-seller preferences, deterministically, and a stored model restores exactly.</summary>
public class RankingTrainerTests
{
    private static double ScoreFor(RankingModel model, string seller, string type) =>
        model.Score(RankingFeatures.Of(new RankingContext(type, "RENEWAL_WINDOW_OPENED", ["RENEWAL_WINDOW_OPENED"], HeatTier.Warm, "CUSTOMER", null, seller, 0.8)), 0.8);

    [Fact]
    public void TwoSellersWithOppositePreferencesEachGetTheirFavouriteFirst()
    {
        var model = RankingTrainer.Train("v1", LearningData.Slates(LearningData.Opposite, LearningData.Types, 60, noise: 0.05), LearningData.Start);

        Assert.True(ScoreFor(model, "alice", "DRAFT_EMAIL") > ScoreFor(model, "alice", "CREATE_TASK"));
        Assert.True(ScoreFor(model, "alice", "DRAFT_EMAIL") > ScoreFor(model, "alice", "LOG_NOTE"));
        Assert.True(ScoreFor(model, "bob", "CREATE_TASK") > ScoreFor(model, "bob", "DRAFT_EMAIL"));
        Assert.True(ScoreFor(model, "bob", "CREATE_TASK") > ScoreFor(model, "bob", "LOG_NOTE"));
    }

    [Fact]
    public void TheSameExamplesGiveTheSameWeights()
    {
        var examples = LearningData.Slates(LearningData.Opposite, LearningData.Types, 200, noise: 0.2, seed: 9);

        var a = RankingTrainer.Train("v1", examples, LearningData.Start);
        var b = RankingTrainer.Train("v1", examples, LearningData.Start);

        Assert.Equal(a.Bias, b.Bias);
        Assert.Equal(a.Weights.OrderBy(w => w.Key, StringComparer.Ordinal), b.Weights.OrderBy(w => w.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void AStoredModelRestoresExactly()
    {
        var model = RankingTrainer.Train("v1", LearningData.Slates(LearningData.Opposite, LearningData.Types, 1500, noise: 0.1), LearningData.Start);
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();

        var restored = serializer.Deserialize<RankingModel>(serializer.SerializeToArray(model))!;

        Assert.Equal(model.Bias, restored.Bias);
        Assert.Equal(model.ConfidenceWeight, restored.ConfidenceWeight);
        Assert.Equal(model.Weights.OrderBy(w => w.Key, StringComparer.Ordinal), restored.Weights.OrderBy(w => w.Key, StringComparer.Ordinal));
        foreach (var (type, c) in model.Calibrations)
        {
            var r = restored.Calibrations[type];
            Assert.Equal(c.Method, r.Method);
            Assert.Equal(c.Values.ToArray(), r.Values.ToArray());
            for (var x = 0.0; x <= 1; x += 0.01)
            {
                Assert.Equal(c.Apply(x), r.Apply(x));
            }
        }

        Assert.Equal(ScoreFor(model, "alice", "DRAFT_EMAIL"), ScoreFor(restored, "alice", "DRAFT_EMAIL"));
    }
}

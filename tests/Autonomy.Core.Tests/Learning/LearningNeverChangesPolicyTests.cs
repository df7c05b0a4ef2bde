using System.Collections.Immutable;
using Autonomy.Learning;
using Autonomy.Perception;
using Autonomy.Policy;
using Autonomy.Tests.Policy;
using CsCheck;

namespace Autonomy.Tests.Learning;

/// <summary>Principle 4: learning tunes ranking, never policy. Enforced by the policy input's type and checked over any model change.</summary>
public class LearningNeverChangesPolicyTests
{
    [Fact]
    public void ThePolicyInputHasNoLearnedField()
    {
        var fields = typeof(PolicyInput).GetProperties();

        Assert.DoesNotContain(fields, p => p.PropertyType.Namespace == typeof(RankingModel).Namespace);
        Assert.DoesNotContain(fields, p => p.Name.Contains("Calibrated", StringComparison.OrdinalIgnoreCase) || p.Name.Contains("Score", StringComparison.OrdinalIgnoreCase) || p.Name.Contains("Rank", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(typeof(double), typeof(PolicyInput).GetProperty(nameof(PolicyInput.Confidence))!.PropertyType);
    }

    private static readonly Gen<RankingModel?> Model = Gen.Frequency(
        (1, Gen.Const((RankingModel?)null)),
        (4, Gen.Select(Gen.Double[-5, 5], Gen.Double[-5, 5], Gen.Double[-3, 3].Array[LearningData.Types.Length], (bias, cw, w) => (RankingModel?)new RankingModel(
            "m", bias, cw, LearningData.Types.Select((t, i) => KeyValuePair.Create($"action:{t}", w[i])).ToImmutableDictionary(),
            ImmutableDictionary<string, Calibration>.Empty.Add("CREATE_TASK", new Calibration(CalibrationMethod.Platt, 100, "t", -2, 1)), LearningData.Start))));

    [Fact]
    public void AnyPromotionOrRollbackLeavesEveryPolicyResultUnchanged()
    {
        // A run as the account makes it: rank with whatever model is active, then evaluate the policy per proposal on
        // the engine's own confidence. Switching models (promote, roll back, explore) may reorder, never change a result.
        Gen.Select(PolicyGen.Input.Array[1, 5], Model.Array[2, 6], Gen.Double[0, 0.5], Gen.Int[0, 1000]).Sample((inputs, models, explore, seed) =>
        {
            IReadOnlyList<SlateItem> items = [.. inputs.Select(i => new SlateItem(i.ActionType,
                RankingFeatures.Of(new RankingContext(i.ActionType, "T", [], HeatTier.Warm, i.Lifecycle, null, "s", i.Confidence)), i.Confidence))];
            var baseline = inputs.Select(AutoApprovalPolicyV1.Evaluate).ToList();
            foreach (var model in models)
            {
                var ranked = SlateRanking.Rank(model, items, explore, new Random(seed));
                foreach (var placement in ranked)
                {
                    Assert.Equal(baseline[placement.Index], AutoApprovalPolicyV1.Evaluate(inputs[placement.Index]));
                }

                Assert.Equal(inputs.Length, ranked.Select(p => p.Index).Distinct().Count());
            }
        });
    }

    [Fact]
    public void ExplorationLogsProbabilitiesThatSumToOnePerPosition()
    {
        Gen.Select(Gen.Int[1, 6], Gen.Double[0, 1]).Sample((n, epsilon) =>
        {
            var greedy = Enumerable.Range(0, n).ToArray();
            for (var position = 0; position < n; position++)
            {
                var total = Enumerable.Range(0, n).Sum(index => SlateRanking.Propensity(greedy, index, position, epsilon));
                Assert.Equal(1, total, 9);
            }
        });
    }
}

using System.Collections.Immutable;
using Autonomy.Learning;
using Autonomy.Outcomes;
using Autonomy.Perception;

namespace Autonomy.Tests.Learning;

/// <summary>Synthetic decisions with a known answer: each seller wants some action types and rejects the others.</summary>
public static class LearningData
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// <paramref name="runs"/> runs per seller, each proposing every type in <paramref name="types"/> at the same engine
    /// confidence; a seller answers "wanted" for its favourite types (with probability 1 - <paramref name="noise"/>).
    /// </summary>
    public static List<LearningExample> Slates(IReadOnlyDictionary<string, string[]> favourites, string[] types, int runs, double noise = 0, int seed = 1, double explore = 0)
    {
        var random = new Random(seed);
        var examples = new List<LearningExample>();
        var run = 0;
        for (var r = 0; r < runs; r++)
        {
            foreach (var (seller, liked) in favourites.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                var runId = $"run-{run++:D6}";
                var order = types.ToArray();
                if (random.NextDouble() < explore)
                {
                    random.Shuffle(order);
                }

                for (var position = 0; position < order.Length; position++)
                {
                    var type = order[position];
                    var wanted = liked.Contains(type) ^ (random.NextDouble() < noise);
                    var features = RankingFeatures.Of(new RankingContext(type, "RENEWAL_WINDOW_OPENED", ["RENEWAL_WINDOW_OPENED"], HeatTier.Warm, "CUSTOMER", null, seller, 0.8));
                    var propensity = explore > 0 ? (1 - explore) * (position == Array.IndexOf(types, type) ? 1 : 0) + explore / types.Length : 1;
                    examples.Add(new LearningExample(
                        runId, $"acc-{seller}", seller, position, type, features, 0.8, RankingModel.Prior, 0.8, propensity,
                        Start.AddMinutes(run), true, wanted, 1, wanted ? OutcomeV1.ExecutionSucceeded : OutcomeV1.IdeaRejected));
                }
            }
        }

        return examples;
    }

    public static readonly string[] Types = ["CREATE_TASK", "DRAFT_EMAIL", "LOG_NOTE"];

    public static readonly ImmutableDictionary<string, string[]> Opposite = new Dictionary<string, string[]>
    {
        ["alice"] = ["DRAFT_EMAIL"],
        ["bob"] = ["CREATE_TASK"],
    }.ToImmutableDictionary();
}

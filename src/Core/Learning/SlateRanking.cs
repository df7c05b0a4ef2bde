using System.Collections.Immutable;

namespace Autonomy.Learning;

/// <summary>One proposal of a run as the ranker sees it.</summary>
public sealed record SlateItem(string ActionType, ImmutableArray<string> Features, double EngineConfidence);

/// <summary>One proposal after ranking: where it was put, why, and how likely that place was.</summary>
public sealed record SlatePlacement(int Index, int Position, double Score, double? CalibratedConfidence, double Propensity);

/// <summary>
/// Orders a run's proposals for display: highest score first (the engine's confidence breaks ties, then the
/// engine's order). With exploration on (rate ε), one time in ε the top place goes to a proposal drawn uniformly
/// and the rest keep their order; each placement logs the probability it had under that policy, so an estimate
/// of another ranker from these logs (SNIPS) stays unbiased. Exploration off: every propensity is 1.
/// </summary>
public static class SlateRanking
{
    public static ImmutableArray<SlatePlacement> Rank(RankingModel? model, IReadOnlyList<SlateItem> items, double explorationRate, Random random)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(random);
        var scores = items.Select(i => Ranker.Score(model, i.ActionType, i.Features, i.EngineConfidence)).ToArray();
        var greedy = Greedy(scores.Select(s => s.Score).ToArray(), items.Select(i => i.EngineConfidence).ToArray());
        var n = items.Count;
        var epsilon = n > 1 ? Math.Clamp(explorationRate, 0, 1) : 0;
        var order = greedy;
        if (epsilon > 0 && random.NextDouble() < epsilon)
        {
            order = Promote(greedy, random.Next(n));
        }

        var placements = new SlatePlacement[n];
        for (var position = 0; position < n; position++)
        {
            var index = order[position];
            placements[index] = new SlatePlacement(index, position, scores[index].Score, scores[index].CalibratedConfidence, Propensity(greedy, index, position, epsilon));
        }

        return [.. placements.OrderBy(p => p.Position)];
    }

    /// <summary>The deterministic order: indexes by score, then engine confidence, both descending, then the engine's order.</summary>
    public static int[] Greedy(IReadOnlyList<double> scores, IReadOnlyList<double> confidences) =>
        [.. Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ThenByDescending(i => confidences[i]).ThenBy(i => i)];

    /// <summary>The probability that the exploring policy puts <paramref name="index"/> at <paramref name="position"/>.</summary>
    public static double Propensity(int[] greedy, int index, int position, double epsilon)
    {
        var n = greedy.Length;
        var p = 0.0;
        if (Array.IndexOf(greedy, index) == position)
        {
            p += 1 - epsilon;
        }

        for (var drawn = 0; drawn < n; drawn++)
        {
            if (Array.IndexOf(Promote(greedy, drawn), index) == position)
            {
                p += epsilon / n;
            }
        }

        return p;
    }

    private static int[] Promote(int[] greedy, int drawnPosition) =>
        [greedy[drawnPosition], .. greedy.Where((_, k) => k != drawnPosition)];
}

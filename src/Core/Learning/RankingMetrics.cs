using System.Collections.Immutable;

namespace Autonomy.Learning;

/// <summary>An estimate with its 95% confidence interval (percentile bootstrap, seeded).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.Estimate")]
public sealed record Estimate([property: Id(0)] double Value, [property: Id(1)] double Low, [property: Id(2)] double High);

/// <summary>One bin of a reliability diagram: predictions in [Low, High), their mean, and how often they came true.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.ReliabilityBin")]
public sealed record ReliabilityBin(
    [property: Id(0)] double Low, [property: Id(1)] double High, [property: Id(2)] double Weight, [property: Id(3)] double MeanPredicted, [property: Id(4)] double Observed);

/// <summary>A prediction and what happened, with the example's weight.</summary>
public readonly record struct Prediction(double Probability, double Label, double Weight);

/// <summary>The metrics of the learning loop: calibration (Brier, ECE), ranking (precision@1, NDCG), off-policy (SNIPS), and bootstrap intervals.</summary>
public static class RankingMetrics
{
    public const int Bins = 10;

    /// <summary>Weighted mean squared error of the probability (0 is perfect).</summary>
    public static double Brier(IReadOnlyCollection<Prediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var w = predictions.Sum(p => p.Weight);
        return w > 0 ? predictions.Sum(p => p.Weight * (p.Probability - p.Label) * (p.Probability - p.Label)) / w : 0;
    }

    /// <summary>Equal-width bins over [0, 1]; the last bin includes 1. Empty bins are left out.</summary>
    public static ImmutableArray<ReliabilityBin> Reliability(IReadOnlyCollection<Prediction> predictions, int bins = Bins)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var result = ImmutableArray.CreateBuilder<ReliabilityBin>();
        foreach (var group in predictions.GroupBy(p => Math.Min(bins - 1, (int)(Math.Clamp(p.Probability, 0, 1) * bins))).OrderBy(g => g.Key))
        {
            var w = group.Sum(p => p.Weight);
            if (w <= 0)
            {
                continue;
            }

            result.Add(new ReliabilityBin(
                (double)group.Key / bins, (double)(group.Key + 1) / bins, w,
                group.Sum(p => p.Weight * p.Probability) / w, group.Sum(p => p.Weight * p.Label) / w));
        }

        return result.ToImmutable();
    }

    /// <summary>Expected calibration error: the weight-averaged gap between mean prediction and outcome rate over the bins.</summary>
    public static double Ece(IReadOnlyCollection<Prediction> predictions, int bins = Bins)
    {
        var reliability = Reliability(predictions, bins);
        var total = reliability.Sum(b => b.Weight);
        return total > 0 ? reliability.Sum(b => b.Weight * Math.Abs(b.MeanPredicted - b.Observed)) / total : 0;
    }

    /// <summary>The order a scorer gives a slate: score, then engine confidence, descending, then the logged position.</summary>
    public static IReadOnlyList<LearningExample> Order(IReadOnlyList<LearningExample> slate, Func<LearningExample, double> score) =>
        [.. slate.OrderByDescending(score).ThenByDescending(e => e.EngineConfidence).ThenBy(e => e.Position)];

    /// <summary>1 when the top of the ordered slate was wanted, else 0.</summary>
    public static double PrecisionAt1(IReadOnlyList<LearningExample> ordered) => ordered.Count > 0 && ordered[0].Wanted ? 1 : 0;

    /// <summary>NDCG with binary gains (wanted = 1) over the whole ordered slate; 0 when nothing in it was wanted.</summary>
    public static double Ndcg(IReadOnlyList<LearningExample> ordered)
    {
        ArgumentNullException.ThrowIfNull(ordered);
        double dcg = 0, ideal = 0;
        var wanted = ordered.Count(e => e.Wanted);
        for (var i = 0; i < ordered.Count; i++)
        {
            var discount = 1 / Math.Log2(i + 2);
            dcg += ordered[i].Wanted ? discount : 0;
            ideal += i < wanted ? discount : 0;
        }

        return ideal > 0 ? dcg / ideal : 0;
    }

    /// <summary>
    /// Self-normalised inverse propensity estimate of the rate at which a target ranker's top proposal is wanted,
    /// from slates logged by an exploring ranker: a slate counts when the target would have put the logged top
    /// first, weighted by 1 / its logged propensity. Null when no slate matches.
    /// </summary>
    public static double? Snips(IReadOnlyList<IReadOnlyList<LearningExample>> slates, Func<LearningExample, double> score)
    {
        ArgumentNullException.ThrowIfNull(slates);
        double num = 0, den = 0;
        foreach (var slate in slates)
        {
            var logged = slate.MinBy(e => e.Position)!;
            if (logged.Position != 0 || logged.Propensity <= 0 || !ReferenceEquals(Order(slate, score)[0], logged))
            {
                continue;
            }

            num += logged.Label / logged.Propensity;
            den += 1 / logged.Propensity;
        }

        return den > 0 ? num / den : null;
    }

    /// <summary>The mean of per-item values with a 95% percentile bootstrap interval (seeded, so a report is reproducible).</summary>
    public static Estimate Bootstrap(IReadOnlyList<double> values, int seed, int resamples = 1000)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return new Estimate(0, 0, 0);
        }

        var random = new Random(seed);
        var means = new double[resamples];
        for (var b = 0; b < resamples; b++)
        {
            double sum = 0;
            for (var i = 0; i < values.Count; i++)
            {
                sum += values[random.Next(values.Count)];
            }

            means[b] = sum / values.Count;
        }

        Array.Sort(means);
        return new Estimate(values.Average(), means[(int)(0.025 * (resamples - 1))], means[(int)Math.Ceiling(0.975 * (resamples - 1))]);
    }

    /// <summary>A bootstrap interval of any statistic of resampled slates (e.g. a SNIPS difference).</summary>
    public static Estimate? Bootstrap<T>(IReadOnlyList<T> items, Func<IReadOnlyList<T>, double?> statistic, int seed, int resamples = 500)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(statistic);
        if (statistic(items) is not { } value)
        {
            return null;
        }

        var random = new Random(seed);
        var samples = new List<double>(resamples);
        var buffer = new T[items.Count];
        for (var b = 0; b < resamples; b++)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = items[random.Next(items.Count)];
            }

            if (statistic(buffer) is { } s)
            {
                samples.Add(s);
            }
        }

        if (samples.Count == 0)
        {
            return new Estimate(value, value, value);
        }

        samples.Sort();
        return new Estimate(value, samples[(int)(0.025 * (samples.Count - 1))], samples[(int)Math.Ceiling(0.975 * (samples.Count - 1))]);
    }
}

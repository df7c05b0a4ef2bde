using System.Collections.Immutable;

namespace Autonomy.Learning;

/// <summary>How a calibration maps a model score to a shown confidence.</summary>
public enum CalibrationMethod
{
    /// <summary>Too few outcomes, or only one kind: the model's probability is shown as it is.</summary>
    Identity,

    /// <summary>A sigmoid of the model's logit (two parameters): robust on few outcomes.</summary>
    Platt,

    /// <summary>A non-decreasing step function fitted by pool-adjacent-violators: exact on many outcomes.</summary>
    Isotonic,
}

/// <summary>
/// One action type's calibration: a monotone (non-decreasing) map from the model's probability to the confidence
/// shown. Platt: <c>1 / (1 + exp(Slope * logit + Offset))</c> (ML.NET's convention, so Slope is negative when the
/// score helps). Isotonic: blocks [Mins[i], Maxes[i]] with value Values[i], linear between blocks.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.Calibration")]
public sealed record Calibration(
    [property: Id(0)] CalibrationMethod Method,
    [property: Id(1)] int Outcomes,
    [property: Id(2)] string Why,
    [property: Id(3)] double Slope = 0,
    [property: Id(4)] double Offset = 0,
    [property: Id(5)] ImmutableArray<double> Mins = default,
    [property: Id(6)] ImmutableArray<double> Maxes = default,
    [property: Id(7)] ImmutableArray<double> Values = default)
{
    public static Calibration Identity(int outcomes, string why) => new(CalibrationMethod.Identity, outcomes, why, Mins: [], Maxes: [], Values: []);

    public static Calibration Platt(int outcomes, string why, double slope, double offset) => new(CalibrationMethod.Platt, outcomes, why, slope, offset, [], [], []);

    public double Apply(double probability)
    {
        var p = Math.Clamp(double.IsFinite(probability) ? probability : 0.5, 0, 1);
        return Method switch
        {
            CalibrationMethod.Platt => Sigmoid(-(Slope * Logit(p) + Offset)),
            CalibrationMethod.Isotonic when !Mins.IsDefaultOrEmpty => Step(p),
            _ => p,
        };
    }

    private double Step(double x)
    {
        // Blocks are sorted and disjoint; a value below the first block or above the last takes the nearest block's value.
        if (x <= Maxes[0])
        {
            return Values[0];
        }

        for (var i = 1; i < Mins.Length; i++)
        {
            if (x < Mins[i])
            {
                var span = Mins[i] - Maxes[i - 1];
                var t = span > 0 ? (x - Maxes[i - 1]) / span : 1;
                return Values[i - 1] + t * (Values[i] - Values[i - 1]);
            }

            if (x <= Maxes[i])
            {
                return Values[i];
            }
        }

        return Values[^1];
    }

    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>The logit of a probability, clipped so 0 and 1 stay finite.</summary>
    public static double Logit(double p)
    {
        var q = Math.Clamp(p, 1e-7, 1 - 1e-7);
        return Math.Log(q / (1 - q));
    }
}

/// <summary>
/// A trained ranking model: a logistic regression over <see cref="RankingFeatures"/> kept as its weights (a feature
/// never seen in training weighs 0), and a calibration per action type. Kept whole, so a version restores exactly.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.RankingModel")]
public sealed record RankingModel(
    [property: Id(0)] string Version,
    [property: Id(1)] double Bias,
    [property: Id(2)] double ConfidenceWeight,
    [property: Id(3)] ImmutableDictionary<string, double> Weights,
    [property: Id(4)] ImmutableDictionary<string, Calibration> Calibrations,
    [property: Id(5)] DateTimeOffset TrainedAt)
{
    /// <summary>The name of the ranker when no model is active: the engine's own confidence, then newest.</summary>
    public const string Prior = "prior";

    /// <summary>The model's probability that the seller wants this proposal (uncalibrated).</summary>
    public double Score(ImmutableArray<string> features, double engineConfidence)
    {
        var z = Bias + ConfidenceWeight * engineConfidence;
        foreach (var f in features.IsDefault ? [] : features)
        {
            z += Weights.GetValueOrDefault(f);
        }

        return Calibration.Sigmoid(z);
    }

    /// <summary>The confidence shown next to the engine's: the score through the action type's calibration.</summary>
    public double Calibrated(string actionType, double score) =>
        Calibrations.TryGetValue(actionType, out var c) ? c.Apply(score) : score;

    /// <summary>The same model with every weight negated (bias included): a regression for tests and the benchmark's gate check.</summary>
    public RankingModel Inverted(string version) => this with
    {
        Version = version,
        Bias = -Bias,
        ConfidenceWeight = -ConfidenceWeight,
        Weights = Weights.ToImmutableDictionary(w => w.Key, w => -w.Value),
    };
}

/// <summary>One proposal's ranking: its score (the engine's confidence under the prior) and the confidence to show.</summary>
public sealed record RankedScore(double Score, double? CalibratedConfidence);

/// <summary>Scores proposals with the active model, or with the prior (the engine's confidence) when there is none.</summary>
public static class Ranker
{
    public static RankedScore Score(RankingModel? model, string actionType, ImmutableArray<string> features, double engineConfidence)
    {
        if (model is null)
        {
            return new RankedScore(engineConfidence, null);
        }

        var score = model.Score(features, engineConfidence);
        return new RankedScore(score, model.Calibrated(actionType, score));
    }

    public static string NameOf(RankingModel? model) => model?.Version ?? RankingModel.Prior;
}

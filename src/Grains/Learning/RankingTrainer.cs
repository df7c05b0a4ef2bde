using System.Collections.Immutable;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Autonomy.Learning;

/// <summary>How candidates are trained and calibrated.</summary>
public sealed record TrainingOptions(
    float L2Regularization = 1f,
    int PlattBelow = 1000,
    int MinCalibrationOutcomes = 30,
    double CalibrationShare = 0.2,
    int Seed = 7)
{
    public static readonly TrainingOptions Default = new();
}

/// <summary>
/// Trains a ranking model with ML.NET: L-BFGS logistic regression (L2-regularised, weighted by the examples'
/// weights) on one-hot features, then a calibration per action type fitted on outcomes the regression did not
/// see (the newest <see cref="TrainingOptions.CalibrationShare"/> of the training examples): Platt below
/// <see cref="TrainingOptions.PlattBelow"/> outcomes of a type, where two parameters are all the data supports;
/// isotonic at or above it, where a free monotone fit is accurate and corrects any shape of miscalibration.
/// Single-threaded and seeded: the same examples give the same weights.
/// </summary>
public static class RankingTrainer
{
    public static RankingModel Train(string version, IReadOnlyList<LearningExample> examples, DateTimeOffset now, TrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= TrainingOptions.Default;
        var ml = new MLContext(seed: options.Seed);
        var cut = examples.Count < 2 * options.MinCalibrationOutcomes ? examples.Count : (int)Math.Round(examples.Count * (1 - options.CalibrationShare));
        var fit = examples.Take(cut).ToList();
        var calibrate = examples.Skip(cut).ToList();
        var (bias, confidenceWeight, weights) = Regress(ml, fit, options);
        var model = new RankingModel(version, bias, confidenceWeight, weights, ImmutableDictionary<string, Calibration>.Empty, now);
        var calibrations = examples.Select(e => e.ActionType).Distinct().Order(StringComparer.Ordinal)
            .ToImmutableDictionary(type => type, type => Calibrate(ml, model, [.. calibrate.Where(e => e.ActionType == type)], options));
        return model with { Calibrations = calibrations };
    }

    private sealed class Row
    {
        public VBuffer<float> Features { get; set; }

        public bool Label { get; set; }

        public float Weight { get; set; }
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }

        public bool Label { get; set; }

        public float Weight { get; set; }
    }

    private static (double Bias, double ConfidenceWeight, ImmutableDictionary<string, double> Weights) Regress(MLContext ml, List<LearningExample> fit, TrainingOptions options)
    {
        if (fit.Count == 0 || fit.All(e => e.Wanted) || fit.All(e => !e.Wanted))
        {
            // Nothing to separate: a constant at the observed rate (0.5 without data).
            var rate = fit.Count == 0 ? 0.5 : fit.Sum(e => e.Weight * e.Label) / fit.Sum(e => e.Weight);
            return (Calibration.Logit(Math.Clamp(rate, 0.01, 0.99)), 0, ImmutableDictionary<string, double>.Empty);
        }

        var vocabulary = fit.SelectMany(e => e.Features).Distinct().Order(StringComparer.Ordinal).ToArray();
        var index = vocabulary.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i, StringComparer.Ordinal);
        var size = vocabulary.Length + 1;
        var rows = fit.Select(e =>
        {
            var slots = e.Features.Where(index.ContainsKey).Select(f => index[f]).Distinct().Order().ToList();
            slots.Add(vocabulary.Length);
            var values = Enumerable.Repeat(1f, slots.Count).ToArray();
            values[^1] = (float)e.EngineConfidence;
            return new Row { Features = new VBuffer<float>(size, slots.Count, values, [.. slots]), Label = e.Wanted, Weight = (float)e.Weight };
        });
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var trainer = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            ExampleWeightColumnName = nameof(Row.Weight),
            L2Regularization = options.L2Regularization,
            L1Regularization = 0,
            NumberOfThreads = 1,
            OptimizationTolerance = 1e-7f,
            MaximumNumberOfIterations = 500,
        });
        var linear = trainer.Fit(data).Model.SubModel;
        var learned = linear.Weights;
        var weights = ImmutableDictionary.CreateBuilder<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Length; i++)
        {
            if (learned[i] != 0)
            {
                weights[vocabulary[i]] = learned[i];
            }
        }

        return (linear.Bias, learned[vocabulary.Length], weights.ToImmutable());
    }

    private static Calibration Calibrate(MLContext ml, RankingModel model, List<LearningExample> outcomes, TrainingOptions options)
    {
        var n = outcomes.Count;
        if (n < options.MinCalibrationOutcomes)
        {
            return Calibration.Identity(n, $"{n} held-back outcomes, fewer than {options.MinCalibrationOutcomes}: the model's probability is shown as it is.");
        }

        if (outcomes.All(e => e.Wanted) || outcomes.All(e => !e.Wanted))
        {
            return Calibration.Identity(n, $"{n} held-back outcomes all of one kind: nothing to fit a calibration to.");
        }

        var probabilities = outcomes.Select(e => model.Score(e.Features, e.EngineConfidence)).ToList();
        if (n < options.PlattBelow)
        {
            var rows = outcomes.Select((e, i) => new ScoreRow { Score = (float)Calibration.Logit(probabilities[i]), Label = e.Wanted, Weight = (float)e.Weight });
            var plattFit = ml.BinaryClassification.Calibrators.Platt(nameof(ScoreRow.Label), nameof(ScoreRow.Score), nameof(ScoreRow.Weight)).Fit(ml.Data.LoadFromEnumerable(rows));
            var platt = ((ISingleFeaturePredictionTransformer<PlattCalibrator>)plattFit).Model;
            if (platt.Slope > 0)
            {
                // A falling sigmoid would invert the model's order; a calibration stays monotone, so it keeps the base rate.
                var rate = outcomes.Sum(e => e.Weight * e.Label) / outcomes.Sum(e => e.Weight);
                return Calibration.Platt(n, $"Platt: {n} outcomes (< {options.PlattBelow}); the score did not help on them, so the type's base rate is shown.", 0, -Calibration.Logit(rate));
            }

            return Calibration.Platt(n, $"Platt: {n} outcomes (< {options.PlattBelow}) support a two-parameter sigmoid, not a free curve.", platt.Slope, platt.Offset);
        }

        var points = outcomes.Select((e, i) => new ScoreRow { Score = (float)probabilities[i], Label = e.Wanted, Weight = (float)e.Weight });
        var isotonicFit = ml.BinaryClassification.Calibrators.Isotonic(nameof(ScoreRow.Label), nameof(ScoreRow.Score), nameof(ScoreRow.Weight)).Fit(ml.Data.LoadFromEnumerable(points));
        var isotonic = ((ISingleFeaturePredictionTransformer<IsotonicCalibrator>)isotonicFit).Model;
        return new Calibration(
            CalibrationMethod.Isotonic, n, $"Isotonic: {n} outcomes (>= {options.PlattBelow}) are enough for a free monotone curve, which corrects miscalibration of any shape.",
            Mins: [.. isotonic.Mins.Select(v => (double)v)], Maxes: [.. isotonic.Maxes.Select(v => (double)v)], Values: [.. isotonic.Values.Select(v => (double)v)]);
    }
}

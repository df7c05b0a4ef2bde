using System.Collections.Immutable;

namespace Autonomy.Learning;

/// <summary>One ranker's scores on the held-out decisions.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.RankerMetrics")]
public sealed record RankerMetrics(
    [property: Id(0)] string Ranker,
    [property: Id(1)] double PrecisionAt1,
    [property: Id(2)] double Ndcg,
    [property: Id(3)] double Brier,
    [property: Id(4)] double Ece,
    [property: Id(5)] double BrierUncalibrated,
    [property: Id(6)] double EceUncalibrated,
    [property: Id(7)] ImmutableArray<ReliabilityBin> Reliability,
    [property: Id(8)] double? Snips);

/// <summary>One action type's calibration, measured on the held-out outcomes before and after.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.CalibrationReport")]
public sealed record CalibrationReport(
    [property: Id(0)] string ActionType,
    [property: Id(1)] CalibrationMethod Method,
    [property: Id(2)] int Outcomes,
    [property: Id(3)] string Why,
    [property: Id(4)] int HoldoutOutcomes,
    [property: Id(5)] double BrierBefore,
    [property: Id(6)] double BrierAfter,
    [property: Id(7)] double EceBefore,
    [property: Id(8)] double EceAfter);

/// <summary>
/// A candidate ranked next to the active ranker on the same held-out decisions and scored against what sellers did.
/// Deltas are the candidate's advantage (positive: better; for Brier, active minus candidate), paired per decision.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.ShadowEvaluation")]
public sealed record ShadowEvaluation(
    [property: Id(0)] string Candidate,
    [property: Id(1)] string Active,
    [property: Id(2)] int TrainExamples,
    [property: Id(3)] int HoldoutExamples,
    [property: Id(4)] int HoldoutSlates,
    [property: Id(5)] RankerMetrics CandidateMetrics,
    [property: Id(6)] RankerMetrics ActiveMetrics,
    [property: Id(7)] Estimate NdcgDelta,
    [property: Id(8)] Estimate PrecisionAt1Delta,
    [property: Id(9)] Estimate BrierDelta,
    [property: Id(10)] Estimate? SnipsDelta,
    [property: Id(11)] bool ExposureDependedOnRanker,
    [property: Id(12)] ImmutableArray<CalibrationReport> Calibration);

/// <summary>Shadow evaluation: pure, seeded, nothing shown to anyone.</summary>
public static class Shadow
{
    /// <summary>
    /// Splits examples by time, whole runs together: the newest <paramref name="holdoutShare"/> of runs are held out.
    /// </summary>
    public static (ImmutableArray<LearningExample> Train, ImmutableArray<LearningExample> Holdout) Split(IReadOnlyList<LearningExample> examples, double holdoutShare = 0.25)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var runs = examples.GroupBy(e => e.RunId).OrderBy(g => g.Min(e => e.DecidedAt)).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        var train = (int)Math.Round(runs.Count * (1 - holdoutShare));
        return ([.. runs.Take(train).SelectMany(g => g)], [.. runs.Skip(train).SelectMany(g => g)]);
    }

    /// <summary>The slates of held-out decisions: each run's proposals that people answered, when two or more were.</summary>
    public static IReadOnlyList<IReadOnlyList<LearningExample>> Slates(IEnumerable<LearningExample> examples) =>
        [.. examples.Where(e => e.Shown).GroupBy(e => e.RunId).Where(g => g.Count() >= 2).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (IReadOnlyList<LearningExample>)[.. g.OrderBy(e => e.Position)])];

    public static ShadowEvaluation Evaluate(RankingModel candidate, RankingModel? active, IReadOnlyList<LearningExample> train, IReadOnlyList<LearningExample> holdout, int seed = 17)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(holdout);
        var slates = Slates(holdout);
        var cand = Metrics(candidate, holdout, slates);
        var act = Metrics(active, holdout, slates);
        var cs = Cached(holdout, Scorer(candidate));
        var asc = Cached(holdout, Scorer(active));
        var ndcg = RankingMetrics.Bootstrap([.. slates.Select(s => RankingMetrics.Ndcg(RankingMetrics.Order(s, cs)) - RankingMetrics.Ndcg(RankingMetrics.Order(s, asc)))], seed);
        var p1 = RankingMetrics.Bootstrap([.. slates.Select(s => RankingMetrics.PrecisionAt1(RankingMetrics.Order(s, cs)) - RankingMetrics.PrecisionAt1(RankingMetrics.Order(s, asc)))], seed + 1);

        // Per outcome, weighted: (active's squared error - candidate's), so positive means better calibrated.
        var totalWeight = holdout.Sum(e => e.Weight);
        var brier = RankingMetrics.Bootstrap(
            [.. holdout.Select(e => totalWeight > 0 ? e.Weight * holdout.Count / totalWeight * (Sq(Shown(active, e) - e.Label) - Sq(Shown(candidate, e) - e.Label)) : 0)], seed + 2);
        var explored = holdout.Any(e => e.Propensity < 1);
        var snips = explored ? SnipsAdvantage(slates, cs, asc, seed + 3) : null;
        var calibration = holdout.GroupBy(e => e.ActionType).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var before = g.Select(e => new Prediction(candidate.Score(e.Features, e.EngineConfidence), e.Label, e.Weight)).ToList();
            var after = g.Select(e => new Prediction(Shown(candidate, e), e.Label, e.Weight)).ToList();
            var c = candidate.Calibrations.GetValueOrDefault(g.Key) ?? Learning.Calibration.Identity(0, "No outcome of this type in training.");
            return new CalibrationReport(g.Key, c.Method, c.Outcomes, c.Why, g.Count(), RankingMetrics.Brier(before), RankingMetrics.Brier(after), RankingMetrics.Ece(before), RankingMetrics.Ece(after));
        });
        return new ShadowEvaluation(
            candidate.Version, Ranker.NameOf(active), train.Count, holdout.Count, slates.Count, cand, act, ndcg, p1, brier, snips, explored, [.. calibration]);
    }

    /// <summary>The confidence a ranker shows: calibrated for a model, the engine's own for the prior.</summary>
    public static double Shown(RankingModel? model, LearningExample e) =>
        model is null ? e.EngineConfidence : model.Calibrated(e.ActionType, model.Score(e.Features, e.EngineConfidence));

    public static Func<LearningExample, double> Scorer(RankingModel? model) =>
        model is null ? e => e.EngineConfidence : e => model.Score(e.Features, e.EngineConfidence);

    public static RankerMetrics Metrics(RankingModel? model, IReadOnlyList<LearningExample> holdout, IReadOnlyList<IReadOnlyList<LearningExample>> slates)
    {
        ArgumentNullException.ThrowIfNull(holdout);
        ArgumentNullException.ThrowIfNull(slates);
        var score = Cached(holdout, Scorer(model));
        var shown = holdout.Select(e => new Prediction(Shown(model, e), e.Label, e.Weight)).ToList();
        var raw = holdout.Select(e => new Prediction(model is null ? e.EngineConfidence : model.Score(e.Features, e.EngineConfidence), e.Label, e.Weight)).ToList();
        var ordered = slates.Select(s => RankingMetrics.Order(s, score)).ToList();
        return new RankerMetrics(
            Ranker.NameOf(model),
            ordered.Count > 0 ? ordered.Average(RankingMetrics.PrecisionAt1) : 0,
            ordered.Count > 0 ? ordered.Average(RankingMetrics.Ndcg) : 0,
            RankingMetrics.Brier(shown), RankingMetrics.Ece(shown), RankingMetrics.Brier(raw), RankingMetrics.Ece(raw),
            RankingMetrics.Reliability(shown),
            holdout.Any(e => e.Propensity < 1) ? RankingMetrics.Snips(slates, score) : null);
    }

    private static double Sq(double x) => x * x;

    /// <summary>A scorer computed once per example (the bootstrap asks for the same scores many times).</summary>
    private static Func<LearningExample, double> Cached(IEnumerable<LearningExample> examples, Func<LearningExample, double> score)
    {
        var cache = new Dictionary<LearningExample, double>(ReferenceEqualityComparer.Instance);
        foreach (var e in examples)
        {
            cache[e] = score(e);
        }

        return e => cache.TryGetValue(e, out var v) ? v : score(e);
    }

    /// <summary>
    /// SNIPS(candidate) - SNIPS(active) with a bootstrap interval over decisions: each decision's logged top, its
    /// inverse propensity and its label are computed once, and whether each ranker would have put it first.
    /// </summary>
    private static Estimate? SnipsAdvantage(IReadOnlyList<IReadOnlyList<LearningExample>> slates, Func<LearningExample, double> candidate, Func<LearningExample, double> active, int seed)
    {
        var rows = new List<(double W, double R, bool C, bool A)>();
        foreach (var slate in slates)
        {
            var logged = slate.MinBy(e => e.Position)!;
            if (logged.Position == 0 && logged.Propensity > 0)
            {
                rows.Add((1 / logged.Propensity, logged.Label, ReferenceEquals(RankingMetrics.Order(slate, candidate)[0], logged), ReferenceEquals(RankingMetrics.Order(slate, active)[0], logged)));
            }
        }

        return RankingMetrics.Bootstrap(rows, sample =>
        {
            double cn = 0, cd = 0, an = 0, ad = 0;
            foreach (var (w, r, c, a) in sample)
            {
                if (c)
                {
                    cn += w * r;
                    cd += w;
                }

                if (a)
                {
                    an += w * r;
                    ad += w;
                }
            }

            return cd > 0 && ad > 0 ? (cn / cd) - (an / ad) : null;
        }, seed);
    }
}

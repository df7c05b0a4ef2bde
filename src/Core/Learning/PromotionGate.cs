using System.Collections.Immutable;
using System.Globalization;

namespace Autonomy.Learning;

/// <summary>The gate's settings: how much a candidate may look worse (lower confidence bound) and how much evidence it needs.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.GateOptions")]
public sealed record GateOptions(
    [property: Id(0)] double Tolerance = 0.02,
    [property: Id(1)] int MinHoldoutSlates = 10,
    [property: Id(2)] int MinHoldoutExamples = 20)
{
    public static readonly GateOptions Default = new();
}

/// <summary>The gate's verdict and every reason behind it (why it passed, or each check it failed).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.GateDecision")]
public sealed record GateDecision([property: Id(0)] bool Passed, [property: Id(1)] ImmutableArray<string> Reasons, [property: Id(2)] double Tolerance);

/// <summary>
/// The promotion gate, a pure function of a shadow evaluation: a candidate passes only when, on held-out decisions,
/// the lower 95% bound of its advantage over the active ranker is above <c>-Tolerance</c> for ranking (NDCG on
/// decisions whose answered proposals all have labels; the SNIPS estimate from exploration logs when there are too
/// few of those) and for the Brier score (calibration); and only with enough held-out evidence.
/// </summary>
public static class PromotionGate
{
    public static GateDecision Decide(ShadowEvaluation evaluation, GateOptions options)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(options);
        var failed = new List<string>();
        var passed = new List<string>();
        if (evaluation.HoldoutExamples < options.MinHoldoutExamples)
        {
            failed.Add($"INSUFFICIENT_EVIDENCE: {evaluation.HoldoutExamples} held-out outcomes, fewer than {options.MinHoldoutExamples}.");
        }

        // Ranking: NDCG where every answered proposal of enough held-out decisions has a label; otherwise, when the logs
        // explored, the SNIPS estimate (its wide interval would block every small real improvement where NDCG applies).
        if (evaluation.HoldoutSlates >= options.MinHoldoutSlates)
        {
            Check("NDCG", evaluation.NdcgDelta, options.Tolerance, failed, passed);
        }
        else if (evaluation.SnipsDelta is { } snips)
        {
            Check("SNIPS", snips, options.Tolerance, failed, passed);
        }
        else
        {
            failed.Add($"INSUFFICIENT_EVIDENCE: {evaluation.HoldoutSlates} held-out decisions with two or more answered proposals, fewer than {options.MinHoldoutSlates}, and no exploration to estimate from.");
        }

        Check("BRIER", evaluation.BrierDelta, options.Tolerance, failed, passed);

        return failed.Count == 0
            ? new GateDecision(true, [.. passed], options.Tolerance)
            : new GateDecision(false, [.. failed], options.Tolerance);
    }

    private static void Check(string metric, Estimate advantage, double tolerance, List<string> failed, List<string> passed)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{metric}: advantage {advantage.Value:0.####}, 95% interval [{advantage.Low:0.####}, {advantage.High:0.####}], tolerance {tolerance:0.####}.");
        if (advantage.Low < -tolerance)
        {
            failed.Add($"{metric}_REGRESSION: {text}");
        }
        else
        {
            passed.Add($"{metric}_OK: {text}");
        }
    }
}

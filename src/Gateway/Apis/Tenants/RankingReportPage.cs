using System.Globalization;
using System.Net;
using System.Text;
using Autonomy.Learning;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// The evaluation report as one page: the gate's verdict, a metric table with the candidate next to the ranker it was
/// evaluated against, the reliability diagram as inline SVG, and the calibration of each action type before and after.
/// Its only asset is the control center's stylesheet from the gateway itself: the Content-Security-Policy every
/// response carries allows no inline style or script.
/// </summary>
public static class RankingReportPage
{
    private const int Size = 320;
    private const int Pad = 36;

    /// <summary>The report's stylesheet, served with the control center (ControlCenter/site/css/report.css).</summary>
    public const string Stylesheet = "/css/report.css";

    public static string Render(string tenantId, RankingVersionView v)
    {
        ArgumentNullException.ThrowIfNull(v);
        var e = v.Evaluation;
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Ranking ").Append(H(v.Version)).Append(" of ").Append(H(tenantId)).Append("</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(Stylesheet).Append("\"></head><body>");
        html.Append("<h1>Ranking model ").Append(H(v.Version)).Append("</h1><p>Tenant ").Append(H(tenantId)).Append(" · status ").Append(H(v.Status.ToString().ToUpperInvariant()))
            .Append(v.Active ? " (active)" : "").Append(" · trained ").Append(H(v.CreatedAt.ToString("u", CultureInfo.InvariantCulture))).Append(" (").Append(H(v.Trigger)).Append(") · ")
            .Append(N(e.TrainExamples)).Append(" training outcomes, ").Append(N(e.HoldoutExamples)).Append(" held out in ").Append(N(e.HoldoutSlates)).Append(" decisions</p>");
        html.Append("<h2 class=\"").Append(v.Gate.Passed ? "pass\">Gate passed" : "fail\">Gate failed").Append("</h2><ul>");
        foreach (var reason in v.Gate.Reasons)
        {
            html.Append("<li>").Append(H(reason)).Append("</li>");
        }

        html.Append("</ul><h2>Candidate next to ").Append(H(e.Active)).Append("</h2><table><tr><th>metric</th><th class=\"cand\">").Append(H(e.Candidate)).Append(" (candidate)</th><th class=\"act\">")
            .Append(H(e.Active)).Append(" (active)</th><th>advantage [95% interval]</th></tr>");
        Row(html, "precision@1", e.CandidateMetrics.PrecisionAt1, e.ActiveMetrics.PrecisionAt1, e.PrecisionAt1Delta);
        Row(html, "NDCG", e.CandidateMetrics.Ndcg, e.ActiveMetrics.Ndcg, e.NdcgDelta);
        Row(html, "Brier (shown confidence)", e.CandidateMetrics.Brier, e.ActiveMetrics.Brier, e.BrierDelta);
        Row(html, "ECE (shown confidence)", e.CandidateMetrics.Ece, e.ActiveMetrics.Ece, null);
        Row(html, "Brier before calibration", e.CandidateMetrics.BrierUncalibrated, e.ActiveMetrics.BrierUncalibrated, null);
        Row(html, "ECE before calibration", e.CandidateMetrics.EceUncalibrated, e.ActiveMetrics.EceUncalibrated, null);
        if (e.ExposureDependedOnRanker)
        {
            Row(html, "SNIPS (top proposal wanted)", e.CandidateMetrics.Snips, e.ActiveMetrics.Snips, e.SnipsDelta);
        }

        html.Append("</table><h2>Reliability</h2>").Append(Diagram(e)).Append("<p><span class=\"cand\">● candidate</span> <span class=\"act\">■ active</span>; the diagonal is perfect calibration, a point's size its share of outcomes.</p>");
        html.Append("<h2>Calibration per action type</h2><table><tr><th>action type</th><th>method</th><th>outcomes</th><th>held out</th><th>Brier before</th><th>Brier after</th><th>ECE before</th><th>ECE after</th><th>why</th></tr>");
        foreach (var c in e.Calibration)
        {
            html.Append("<tr><td>").Append(H(c.ActionType)).Append("</td><td>").Append(H(c.Method.ToString().ToUpperInvariant())).Append("</td><td>").Append(N(c.Outcomes)).Append("</td><td>").Append(N(c.HoldoutOutcomes))
                .Append("</td><td>").Append(F(c.BrierBefore)).Append("</td><td>").Append(F(c.BrierAfter)).Append("</td><td>").Append(F(c.EceBefore)).Append("</td><td>").Append(F(c.EceAfter))
                .Append("</td><td class=\"why\">").Append(H(c.Why)).Append("</td></tr>");
        }

        return html.Append("</table></body></html>").ToString();
    }

    private static void Row(StringBuilder html, string name, double? candidate, double? active, Estimate? delta) =>
        html.Append("<tr><td>").Append(H(name)).Append("</td><td>").Append(F(candidate)).Append("</td><td>").Append(F(active)).Append("</td><td>")
            .Append(delta is { } d ? $"{F(d.Value)} [{F(d.Low)}, {F(d.High)}]" : "").Append("</td></tr>");

    private static string Diagram(ShadowEvaluation e)
    {
        var svg = new StringBuilder();
        var plot = Size - (2 * Pad);
        double X(double p) => Pad + (p * plot);
        double Y(double p) => Size - Pad - (p * plot);
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Size}\" height=\"{Size}\" viewBox=\"0 0 {Size} {Size}\" role=\"img\" aria-label=\"reliability diagram\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Pad}\" y=\"{Pad}\" width=\"{plot}\" height=\"{plot}\" fill=\"none\" stroke=\"#999\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(0)}\" y1=\"{Y(0)}\" x2=\"{X(1)}\" y2=\"{Y(1)}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Size / 2}\" y=\"{Size - 6}\" text-anchor=\"middle\" font-size=\"11\">predicted</text><text x=\"12\" y=\"{Size / 2}\" font-size=\"11\" transform=\"rotate(-90 12 {Size / 2})\" text-anchor=\"middle\">observed</text>");
        Series(svg, e.ActiveMetrics.Reliability, "#c2410c", square: true, X, Y);
        Series(svg, e.CandidateMetrics.Reliability, "#1f5fbf", square: false, X, Y);
        return svg.Append("</svg>").ToString();
    }

    private static void Series(StringBuilder svg, IReadOnlyList<ReliabilityBin> bins, string color, bool square, Func<double, double> x, Func<double, double> y)
    {
        var total = bins.Sum(b => b.Weight);
        if (bins.Count > 1)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"").Append(color).Append("\" points=\"")
                .AppendJoin(' ', bins.Select(b => string.Create(CultureInfo.InvariantCulture, $"{x(b.MeanPredicted):0.#},{y(b.Observed):0.#}"))).Append("\"/>");
        }

        foreach (var b in bins)
        {
            var r = 2 + (6 * Math.Sqrt(total > 0 ? b.Weight / total : 0));
            svg.Append(square
                ? string.Create(CultureInfo.InvariantCulture, $"<rect x=\"{x(b.MeanPredicted) - r:0.#}\" y=\"{y(b.Observed) - r:0.#}\" width=\"{2 * r:0.#}\" height=\"{2 * r:0.#}\" fill=\"{color}\" opacity=\"0.7\"/>")
                : string.Create(CultureInfo.InvariantCulture, $"<circle cx=\"{x(b.MeanPredicted):0.#}\" cy=\"{y(b.Observed):0.#}\" r=\"{r:0.#}\" fill=\"{color}\" opacity=\"0.7\"/>"));
        }
    }

    private static string H(string text) => WebUtility.HtmlEncode(text);

    private static string F(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "–";

    private static string N(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Net;
using System.Text;

namespace Autonomy.Simulator;

/// <summary><c>report.html</c>: the figures, the targets and charts as inline SVG (no script, no external asset).</summary>
public static class ReportPage
{
    private const int Width = 720;
    private const int Height = 220;
    private const int Pad = 40;

    public static string Render(SimReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Autonomy cost simulation</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;max-width:980px;color:#222}
            table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
            th{text-align:left;background:#f4f4f4}.met{color:#1a7f37;font-weight:600}.missed{color:#cf222e;font-weight:600}
            svg{background:#fafafa;border:1px solid #ddd;margin:.5rem 0}figure{margin:1.2rem 0}figcaption{font-weight:600}
            </style></head><body>
            <h1>Autonomy cost simulation</h1>
            <p>{{r.Accounts:N0}} accounts in {{r.Tenants:N0}} tenant(s), {{r.Days}} simulated day(s), seed {{r.Seed}}: {{r.Events:N0}} events in {{r.ElapsedSeconds:0.0}} s.</p>
            <h2>Targets</h2><table><tr><th>target</th><th>measured</th><th></th></tr>
            """);
        foreach (var t in r.Targets)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th>{Esc(t.Target)}</th><td>{t.Value:0.####}</td><td class=\"{(t.Met ? "met" : "missed")}\">{(t.Met ? "met" : "not met")}</td></tr>\n");
        }

        html.Append("</table><h2>Figures</h2><table><tr><th></th><th>engine (this system)</th><th>baseline</th></tr>\n");
        Row(html, "engine calls (baseline a: the engine on every trigger)", r.EngineCalls, r.BaselineEngineCalls);
        Row(html, "fewest engine calls that decide every high-value trigger within 15 minutes (the floor)", r.HighValueFloor, r.BaselineEngineCalls);
        Row(html, "tokens", r.Tokens, r.BaselineTokens);
        Row(html, "pulls (baseline b: every account at the hot cadence)", r.Pulls, r.BaselinePulls);
        html.Append(CultureInfo.InvariantCulture, $"<tr><th>cost (USD)</th><td>{r.CostUsd:0.00}</td><td>{r.BaselineCostUsd:0.00}</td></tr></table>\n");
        html.Append(CultureInfo.InvariantCulture, $"""
            <table>
            <tr><th>signals pushed</th><td>{r.Signals:N0}</td></tr>
            <tr><th>decision runs started by signals / by rituals</th><td>{r.SignalRuns:N0} / {r.RitualRuns:N0}</td></tr>
            <tr><th>signal runs with a high-value signal / of low-value signals only</th><td>{r.HighValueRuns:N0} / {r.LowValueRuns:N0}</td></tr>
            <tr><th>engine calls over the floor</th><td>{r.EngineCallsOverFloor:0.00}×</td></tr>
            <tr><th>high-value triggers</th><td>{r.HighValueTriggers:N0}</td></tr>
            <tr><th>decided within 15 minutes / later / never</th><td>{r.HighValueDecidedWithin15m:N0} / {r.HighValueDecidedLater:N0} / {r.HighValueUndecided:N0}</td></tr>
            <tr><th>high-value signals suppressed by a cooldown (not triggers)</th><td>{r.HighValueSuppressed:N0}</td></tr>
            <tr><th>pulls that brought something new</th><td>{r.FreshPulls:N0}</td></tr>
            <tr><th>pulls deferred by the throttle / skipped by the budget</th><td>{r.PullsDeferred:N0} / {r.PullsSkipped:N0}</td></tr>
            <tr><th>accounts that turned hot</th><td>{r.BecameHot:N0}</td></tr>
            <tr><th>oldest hot data (minutes)</th><td>{r.MaxHotStalenessMinutes:0.00}</td></tr>
            <tr><th>budget overshoots</th><td>{r.BudgetOvershoots}</td></tr>
            </table>
            """);
        html.Append("<h3>Engine calls by what started them</h3><table>");
        foreach (var (start, calls) in r.EngineCallsBy)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th>{Esc(start)}</th><td>{calls:N0}</td></tr>\n");
        }

        html.Append(CultureInfo.InvariantCulture, $"</table><p>Engine calls over the floor per day: {Esc(string.Join(", ", r.PerDayOverFloor().Select(x => x.ToString("0.00", CultureInfo.InvariantCulture) + "×")))}.</p>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p>What the shipped rules trade for this cost: {Esc(SimReport.TradeOff)}.</p>\n");
        if (r.GateNotAllowed.Count > 0)
        {
            html.Append("<h3>Cost gate: runs not allowed, by reason</h3><table>");
            foreach (var (reason, count) in r.GateNotAllowed)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><th>{Esc(reason)}</th><td>{count:N0}</td></tr>");
            }

            html.Append("</table>\n");
        }

        html.Append(Lines("Engine calls per hour", "hour", [("this system", "#1f6feb", r.EngineSeries.Select(v => (double)v).ToArray()), ("baseline (a)", "#cf222e", r.BaselineSeries.Select(v => (double)v).ToArray())]));
        var baselinePerHour = r.Hours == 0 ? 0 : (double)r.BaselinePulls / r.Hours;
        html.Append(Lines("Pulls per hour", "hour", [("this system", "#1f6feb", r.PullSeries.Select(v => (double)v).ToArray()), ("baseline (b)", "#cf222e", r.PullSeries.Select(_ => baselinePerHour).ToArray())]));
        html.Append(Lines("Accounts per heat tier", "hour", [("hot", "#cf222e", r.HotSeries.Select(v => (double)v).ToArray()), ("warm", "#bf8700", r.WarmSeries.Select(v => (double)v).ToArray())]));
        html.Append(Bars("High-value triggers: minutes from signal to decision (last bar: 15 or more)", r.LatencyMinutes, 15));
        html.Append(Bars("Hot accounts: age of their data in minutes when measured (last bar: 30 or more; target at most 15)", r.StalenessMinutes, 15));
        html.Append("<p>The simulator mirrors the account grain's orchestration and calls the engine's own rules (heat, decision trigger, ritual planner, cost gate, marginal value, run budget, pull planner, token bucket, daily quotas). See docs/budgets-and-cost.md, \"The cost simulator\".</p></body></html>\n");
        return html.ToString();
    }

    private static void Row(StringBuilder html, string name, long ours, long baseline) =>
        html.Append(CultureInfo.InvariantCulture, $"<tr><th>{Esc(name)}</th><td>{ours:N0} ({(baseline == 0 ? 0 : (double)ours / baseline):P1})</td><td>{baseline:N0}</td></tr>\n");

    private static string Lines(string title, string axis, (string Name, string Color, double[] Values)[] series)
    {
        var max = Math.Max(1, series.Max(s => s.Values.Length == 0 ? 0 : s.Values.Max()));
        var n = Math.Max(2, series.Max(s => s.Values.Length));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<figure><figcaption>{Esc(title)}</figcaption><svg width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\">");
        Axes(svg, max, axis, n - 1);
        var legend = 0;
        foreach (var (name, color, values) in series)
        {
            var points = string.Join(' ', values.Select((v, i) => string.Create(CultureInfo.InvariantCulture, $"{X(i, n):0.#},{Y(v, max):0.#}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{points}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Width - 170}\" y=\"{12 + (legend * 16)}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{Width - 155}\" y=\"{21 + (legend * 16)}\" font-size=\"11\">{Esc(name)}</text>");
            legend++;
        }

        return svg.Append("</svg></figure>\n").ToString();
    }

    private static string Bars(string title, long[] counts, int mark)
    {
        var max = Math.Max(1, counts.Max());
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<figure><figcaption>{Esc(title)}</figcaption><svg width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\">");
        Axes(svg, max, "minutes", counts.Length - 1);
        var w = (Width - (2 * Pad)) / (double)counts.Length;
        for (var i = 0; i < counts.Length; i++)
        {
            var y = Y(counts[i], max);
            var color = i > mark ? "#cf222e" : "#1f6feb";
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Pad + (i * w) + 1:0.#}\" y=\"{y:0.#}\" width=\"{w - 2:0.#}\" height=\"{Height - Pad - y:0.#}\" fill=\"{color}\"><title>{i}: {counts[i]:N0}</title></rect>");
        }

        return svg.Append("</svg></figure>\n").ToString();
    }

    private static void Axes(StringBuilder svg, double max, string axis, int last)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Pad}\" y1=\"{Height - Pad}\" x2=\"{Width - Pad}\" y2=\"{Height - Pad}\" stroke=\"#888\"/><line x1=\"{Pad}\" y1=\"{Pad / 2}\" x2=\"{Pad}\" y2=\"{Height - Pad}\" stroke=\"#888\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"2\" y=\"{(Pad / 2) + 4}\" font-size=\"10\">{max:N0}</text><text x=\"26\" y=\"{Height - Pad}\" font-size=\"10\">0</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Pad}\" y=\"{Height - 22}\" font-size=\"10\">0</text><text x=\"{Width - Pad - 20}\" y=\"{Height - 22}\" font-size=\"10\">{last}</text><text x=\"{Width / 2}\" y=\"{Height - 8}\" font-size=\"11\">{Esc(axis)}</text>");
    }

    private static double X(int i, int n) => Pad + (i * (Width - (2.0 * Pad)) / (n - 1));

    private static double Y(double v, double max) => Height - Pad - (v / max * (Height - (1.5 * Pad)));

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Autonomy.Bench.ClusterAccounts;

/// <summary>One measurement: at a milestone (or the baseline, 0 accounts) after the segment that reached it.</summary>
internal sealed record Point(
    int Accounts, double Seconds, double AccountsPerSecond, double P50Ms, double P99Ms, double MaxMs, long Non2xx, long RetriedTimeout, long Retried503, long GatewayRetries,
    IReadOnlyList<long> SiloRssBytes, long GatewayRssBytes, IReadOnlyList<long> SiloAccountActivations, long Activations, long DatabaseBytes, string LoadAverage);

/// <summary>After the last milestone: a second signal to a sample of existing accounts, then the ledger read back for it.</summary>
internal sealed record Check(
    int Sample, long SecondOk, IReadOnlyDictionary<string, long> SecondStatuses, double SecondP50Ms, double SecondP99Ms, double SecondMaxMs,
    int LedgerQueried, int FirstFound, int SecondFound, IReadOnlyList<string> Missing);

internal sealed record Settings(int Concurrency, int Sample, double SettleSeconds, double AttemptTimeoutSeconds);

internal static class ClusterAccountsReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void Write(Settings settings, Point baseline, IReadOnlyList<Point> points, Check? check, IReadOnlyDictionary<string, long> statuses, string stopped, string jsonPath, string markdownPath)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"New accounts by their first signal over HTTP: 2 silo processes + 1 gateway on PostgreSQL (shipped defaults), {settings.Concurrency} concurrent callers, {Environment.ProcessorCount} cores{(stopped.Length > 0 ? $"; stopped: {stopped}" : "")}");
        md.AppendLine();
        md.AppendLine("| accounts | new accounts/s | p50 ms | p99 ms | max ms | non-2xx | retried (timeout/503) | gateway retries | silo RSS MB | RSS / account | gateway RSS MB | account activations | database / account | load |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in points)
        {
            var grown = p.SiloRssBytes.Zip(baseline.SiloRssBytes, (now, zero) => now - zero).Sum();
            var activations = p.SiloAccountActivations.Count == 0 ? "n/a" : string.Join(" + ", p.SiloAccountActivations.Select(a => a.ToString("N0", CultureInfo.InvariantCulture)));
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Accounts:N0} | {p.AccountsPerSecond:N0} | {p.P50Ms:0.0} | {p.P99Ms:0.0} | {p.MaxMs:0} | {p.Non2xx} | {p.RetriedTimeout}/{p.Retried503} | {p.GatewayRetries} | {string.Join(" + ", p.SiloRssBytes.Select(b => (b / 1048576).ToString(CultureInfo.InvariantCulture)))} | {grown / 1024.0 / p.Accounts:0.0} KB | {p.GatewayRssBytes / 1048576} | {activations} | {(p.DatabaseBytes - baseline.DatabaseBytes) / 1024.0 / p.Accounts:0.00} KB | {p.LoadAverage} |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"RSS per account: both silos' growth over the baseline ({string.Join(" + ", baseline.SiloRssBytes.Select(b => (b / 1048576).ToString(CultureInfo.InvariantCulture)))} MB before the first account), read {settings.SettleSeconds:0} s after the segment (the write-behind snapshots). Non-2xx, the caller's retries and the gateway's (SiloLossRetryFilter: a grain call past Orleans' 5 s response timeout, sent again, invisible to the caller) per segment; final outcomes of first signals: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} × {s.Value:N0}"))}.");
        if (check is not null)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture,
                $"Afterwards: a second signal to {check.Sample:N0} existing accounts: **{check.SecondOk:N0} 2xx** ({string.Join(", ", check.SecondStatuses.OrderBy(s => s.Key).Select(s => $"{s.Key} × {s.Value:N0}"))}; p50 {check.SecondP50Ms:0.0} ms, p99 {check.SecondP99Ms:0.0} ms, max {check.SecondMaxMs:0} ms). Ledger read back over the API for those accounts: acknowledged first signals found **{check.FirstFound:N0} of {check.LedgerQueried:N0}**, acknowledged second signals found {check.SecondFound:N0} of {check.SecondOk:N0}{(check.Missing.Count > 0 ? $"; missing: {string.Join(", ", check.Missing.Take(10))}" : "")}.");
        }

        Console.WriteLine(md.ToString());
        var json = JsonSerializer.Serialize(new { benchmark = "cluster-accounts", cores = Environment.ProcessorCount, settings, stopped, statuses, baseline, points, check }, Indented);
        if (jsonPath.Length > 0) File.WriteAllText(jsonPath, json);
        if (markdownPath.Length > 0) File.WriteAllText(markdownPath, md.ToString());
    }

    public static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
}

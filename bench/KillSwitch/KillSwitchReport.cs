using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Autonomy.Bench.KillSwitch;

internal sealed record KillSwitchSettings(int Engagements, int Accounts, double SignalsPerSecond, int Workers, double ReleasedSeconds, double HeldSeconds);

/// <summary>
/// One engagement. Times are from the engage PUT's 200 unless named otherwise: <see cref="LastAfter200Ms"/> is when the
/// last delivery that arrived after the 200 arrived (0: none did), so the moment by which every silo had stopped
/// executing; <see cref="LastSinceSendMs"/> the same from the moment the PUT was sent; <see cref="LastBySiloMs"/> each
/// silo's last delivery after the PUT was sent (negative: before the 200).
/// </summary>
internal sealed record Engagement(
    int Number, double PutMs, DateTimeOffset SentUtc, DateTimeOffset OkUtc, DateTimeOffset ReleaseUtc,
    int DeliveriesBefore, int SilosBefore, int DeliveriesInWindow, int DeliveriesAfter200, double LastAfter200Ms, double LastSinceSendMs,
    IReadOnlyDictionary<string, double> LastBySiloMs, IReadOnlyList<string> RunsAfter200);

internal static class KillSwitchReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(
        KillSwitchSettings settings, IReadOnlyList<Engagement> engagements, long delivered, IReadOnlyDictionary<string, int> statuses, double loadSeconds,
        int passes, int violations, int startedAfter, string jsonPath, string markdownPath)
    {
        var last = engagements.Select(e => e.LastAfter200Ms).ToList();
        var sinceSend = engagements.Select(e => e.LastSinceSendMs).ToList();
        var put = engagements.Select(e => e.PutMs).ToList();
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "";
        var summary = new
        {
            engagements = engagements.Count,
            engagementsWithAllThreeSilosExecutingBefore = engagements.Count(e => e.SilosBefore == 3),
            executionsBeforeEngagePerEngagement = engagements.Count == 0 ? 0 : engagements.Average(e => e.DeliveriesBefore),
            deliveriesAfter200 = engagements.Sum(e => e.DeliveriesAfter200),
            executionsStartedAfter200 = startedAfter,
            ledgerPassesInsideEngagedWindows = violations,
            untilEverySiloRefusesFrom200Ms = new { p50 = P(last, 0.5), p99 = P(last, 0.99), max = last.DefaultIfEmpty().Max() },
            untilEverySiloRefusesFromPutMs = new { p50 = P(sinceSend, 0.5), p99 = P(sinceSend, 0.99), max = sinceSend.DefaultIfEmpty().Max() },
            engagePutMs = new { p50 = P(put, 0.5), p99 = P(put, 0.99), max = put.DefaultIfEmpty().Max() },
            executionsDelivered = delivered,
            signalsPosted = statuses.Values.Sum(),
            signalsPerSecond = statuses.Values.Sum() / loadSeconds,
            statuses,
            ledgerPasses = passes,
        };

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Kill switch under load: 3 silos + 1 gateway (processes, PostgreSQL), {summary.signalsPerSecond:0} signals/s over {settings.Accounts} accounts, each run auto-executing to a webhook receiver; {engagements.Count} engagements (held {settings.HeldSeconds:0.#} s, released {settings.ReleasedSeconds:0.#} s between), {Environment.ProcessorCount} cores, load average {load}");
        md.AppendLine();
        md.AppendLine("| measure | p50 | p99 | max |");
        md.AppendLine("|---|---:|---:|---:|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| PUT 200 → last execution any silo delivered (every silo refuses), ms | {summary.untilEverySiloRefusesFrom200Ms.p50:0.0} | **{summary.untilEverySiloRefusesFrom200Ms.p99:0.0}** | {summary.untilEverySiloRefusesFrom200Ms.max:0.0} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| PUT sent → last execution delivered, ms | {summary.untilEverySiloRefusesFromPutMs.p50:0.0} | {summary.untilEverySiloRefusesFromPutMs.p99:0.0} | {summary.untilEverySiloRefusesFromPutMs.max:0.0} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| engage PUT (sent → 200), ms | {summary.engagePutMs.p50:0.0} | {summary.engagePutMs.p99:0.0} | {summary.engagePutMs.max:0.0} |");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Executions that started after the 200: **{startedAfter}** of {summary.deliveriesAfter200} deliveries that arrived after it (the rest passed their last check before it, in flight); ledgered checks that let an action through inside an engaged window: **{violations}** of {passes}. All three silos executing just before the engagement: {summary.engagementsWithAllThreeSilosExecutingBefore} of {engagements.Count} (mean {summary.executionsBeforeEngagePerEngagement:0} executions in the {settings.ReleasedSeconds:0.#} s before). Signals: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} × {s.Value}"))}; {delivered} executions delivered.");

        Console.WriteLine(md.ToString());
        var json = JsonSerializer.Serialize(new { benchmark = "killswitch", machine = new { cores = Environment.ProcessorCount, loadAverageAtEnd = load }, settings, summary, engagements }, Indented);
        if (jsonPath.Length > 0) File.WriteAllText(jsonPath, json);
        if (markdownPath.Length > 0) File.WriteAllText(markdownPath, md.ToString());
    }

    private static double P(List<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Autonomy.Bench.Ledger;

/// <summary>Per store the median of each target's rounds; the ratio is the median of each round's group/ceiling.</summary>
internal static class LedgerReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task WriteAsync(LedgerSettings settings, IReadOnlyList<StoreResult> stores, string jsonPath, string markdownPath)
    {
        var summaries = stores.SelectMany(s => s.Rounds.Where(r => r.Target == "group").Select(r => r.Appenders).Distinct().Select(appenders =>
        {
            var group = s.Rounds.Where(r => r.Target == "group" && r.Appenders == appenders).ToList();
            var ceiling = s.Rounds.Where(r => r.Target == "ceiling" && r.Batch == settings.CeilingBatches[0]).ToList();
            var ratios = group.Join(ceiling, g => g.Round, c => c.Round, (g, c) => g.EntriesPerSecond / c.EntriesPerSecond).ToList();
            return new
            {
                store = s.Store,
                appenders,
                groupEntriesPerSecond = Median(group.Select(r => r.EntriesPerSecond)),
                appendP50Ms = Median(group.Select(r => r.P50Ms)),
                appendP99Ms = Median(group.Select(r => r.P99Ms)),
                appendMaxMs = group.Count == 0 ? double.NaN : group.Max(r => r.MaxMs),
                meanTransaction = Median(group.Select(r => r.MeanBatch)),
                ceilingEntriesPerSecond = Median(ceiling.Select(r => r.EntriesPerSecond)),
                ceilingBatchP50Ms = Median(ceiling.Select(r => r.P50Ms)),
                ceilingBatchP99Ms = Median(ceiling.Select(r => r.P99Ms)),
                ratio = Median(ratios),
                ratios,
            };
        })).ToList();

        var loads = string.Join(" / ", stores.SelectMany(s => s.Rounds).Select(r => r.LoadAverage).Distinct());
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Ledger group commit vs the raw insert ceiling: {settings.Entries:N0} entries per round, {string.Join(" or ", settings.Appenders)} appenders of {settings.PerAppend} entr{(settings.PerAppend == 1 ? "y" : "ies")} per append, payload {settings.PayloadBytes} B, ceiling batches of {settings.CeilingBatches[0]}, {settings.Rounds} alternating rounds, {Environment.ProcessorCount} cores, load average {loads}");
        md.AppendLine();
        md.AppendLine("| store | appenders | group commit entries/s | append p50 ms | append p99 ms | entries per transaction | ceiling entries/s | ceiling batch p50 ms | ratio (rounds) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var s in summaries)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.store} | {s.appenders} | {s.groupEntriesPerSecond:N0} | {s.appendP50Ms:0.00} | {s.appendP99Ms:0.00} | {s.meanTransaction:0.0} | {s.ceilingEntriesPerSecond:N0} | {s.ceilingBatchP50Ms:0.0} | **{s.ratio:0.00}** ({string.Join(", ", s.ratios.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))}) |");
        }

        // The other ceilings: the same rows in smaller transactions, with nothing else in the way.
        var smaller = stores.SelectMany(s => settings.CeilingBatches.Skip(1).Select(batch =>
        {
            var rounds = s.Rounds.Where(r => r.Target == "ceiling" && r.Batch == batch).ToList();
            return new { store = s.Store, batch, entriesPerSecond = Median(rounds.Select(r => r.EntriesPerSecond)), batchP50Ms = Median(rounds.Select(r => r.P50Ms)) };
        })).ToList();
        if (smaller.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("The raw insert in smaller transactions (the store's cost per transaction, nothing of the committer):");
            md.AppendLine();
            md.AppendLine("| store | rows per transaction | entries/s | transaction p50 ms |");
            md.AppendLine("|---|---:|---:|---:|");
            foreach (var c in smaller)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {c.store} | {c.batch} | {c.entriesPerSecond:N0} | {c.batchP50Ms:0.00} |");
            }
        }

        var json = JsonSerializer.Serialize(new
        {
            benchmark = "ledger",
            machine = new { cores = Environment.ProcessorCount, loadAverageAtEnd = LedgerRun.LoadAverage() },
            settings,
            summary = summaries,
            smallerTransactions = smaller,
            rounds = stores.SelectMany(s => s.Rounds),
        }, Indented);

        Console.WriteLine(md.ToString());
        if (jsonPath.Length > 0) await File.WriteAllTextAsync(jsonPath, json);
        if (markdownPath.Length > 0) await File.WriteAllTextAsync(markdownPath, md.ToString());
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

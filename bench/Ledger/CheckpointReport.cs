using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Autonomy.Bench.Ledger;

/// <summary>Per tenant size the median of the rounds (and the slowest pass): JSON of every round, a short Markdown table.</summary>
internal static class CheckpointReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task WriteAsync(CheckpointSettings settings, IReadOnlyList<CheckpointRound> rounds, string jsonPath, string markdownPath)
    {
        var summaries = rounds.GroupBy(r => (r.Store, r.Size)).Select(g => new
        {
            store = g.Key.Store,
            streams = g.Key.Size,
            passMs = Median(g.Select(r => r.PassMs)),
            passMaxMs = g.Max(r => r.PassMs),
            passCpuMs = Median(g.Select(r => r.PassCpuMs)),
            passAllocatedMb = Median(g.Select(r => r.PassAllocatedMb)),
            readMs = Median(g.Select(r => r.ReadMs)),
            readCpuMs = Median(g.Select(r => r.ReadCpuMs)),
            readAllocatedMb = Median(g.Select(r => r.ReadAllocatedMb)),
            walkMs = Median(g.Select(r => r.WalkMs)),
            walkCpuMs = Median(g.Select(r => r.WalkCpuMs)),
            walkAllocatedMb = Median(g.Select(r => r.WalkAllocatedMb)),
        }).ToList();

        var loads = string.Join(" / ", rounds.Select(r => r.LoadAverage).Distinct());
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Ledger checkpoint pass: {settings.Changed:N0} changed and {settings.NewStreams:N0} new streams per checkpoint, {settings.Rounds} rounds per size, {Environment.ProcessorCount} cores, load average {loads}");
        md.AppendLine();
        md.AppendLine("| store | streams | pass ms (max) | pass CPU ms | pass MB allocated | read heads ms / CPU | read MB | walk ms / CPU | walk MB |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in summaries)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.store} | {s.streams:N0} | **{s.passMs:N0}** ({s.passMaxMs:N0}) | {s.passCpuMs:N0} | {s.passAllocatedMb:N0} | {s.readMs:N0} / {s.readCpuMs:N0} | {s.readAllocatedMb:N0} | {s.walkMs:N0} / {s.walkCpuMs:N0} | {s.walkAllocatedMb:N0} |");
        }

        Console.WriteLine(md.ToString());
        if (jsonPath.Length > 0)
        {
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { settings, summaries, rounds, cores = Environment.ProcessorCount }, Indented));
        }

        if (markdownPath.Length > 0)
        {
            await File.WriteAllTextAsync(markdownPath, md.ToString());
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}

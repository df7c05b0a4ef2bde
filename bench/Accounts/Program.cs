using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Bench.Accounts;
using Autonomy.Common;
using Autonomy.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Activation rate and memory per account, as a curve: an embedded silo (shipped defaults) in this process, new
// accounts brought in by their first signal from many concurrent callers; at each milestone the rate of the last
// segment, then (once the write-behind snapshots are written and after a full GC) RSS, the managed heap, the
// activations, the process's live timers and the stored bytes, each per account.
//   dotnet bench/Accounts/bin/Release/net10.0/Autonomy.Bench.Accounts.dll [--milestones 10000,100000] [--concurrency 64]
//       [--max-rss-mb 6000] [--hold-minutes 0] [--json out.json] [--md out.md] [--Autonomy:Engine:... silo settings]
// Each point also has the GC's pauses of its segment (count, total, longest; from the runtime's events) and Orleans'
// reminder ticks delivered; --hold-minutes keeps the silo running after the last milestone with no new accounts, so
// the accounts' own reminder ticks are measured alone.
using var gcPauses = new GcPauses();
using var reminderTicks = new ReminderTicks();
var data = Directory.CreateTempSubdirectory("autonomy-accounts-").FullName;
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Autonomy:DataDirectory"] = data });
string Get(string name, string fallback) => builder.Configuration[name] ?? fallback;
var milestones = Get("milestones", "10000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Order().ToArray();
var concurrency = int.Parse(Get("concurrency", "64"), CultureInfo.InvariantCulture);
var maxRssMb = long.Parse(Get("max-rss-mb", "6000"), CultureInfo.InvariantCulture);
var holdMinutes = double.Parse(Get("hold-minutes", "0"), CultureInfo.InvariantCulture);
var snapshotDelay = TimeSpan.Parse(Get("Autonomy:Engine:SnapshotDelay", "00:00:30"), CultureInfo.InvariantCulture);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.UseOrleans(silo => silo.AddAutonomySilo(builder.Configuration));
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();
var management = grains.GetGrain<IManagementGrain>(0);
var actor = new Actor("bench", ["ingest"]);
var run = Guid.NewGuid().ToString("N")[..6];

// One account first, so the tenant grain and everything shared is up before the baseline is taken.
await grains.GetGrain<IAccountGrain>(Ids.AccountKey("bench", "warm")).IngestSignalsAsync([new SignalInput("warm", "WEBSITE_VISIT", null, 0.1, null)], actor);
await Task.Delay(TimeSpan.FromSeconds(3));
var baseline = Measure(0, 0, 0, 0, 0);
gcPauses.Take();
reminderTicks.TakeTardiness();
Console.Error.WriteLine($"baseline: RSS {baseline.RssBytes / 1048576} MB, heap {baseline.HeapBytes / 1048576} MB, load {baseline.LoadAverage}");

var points = new List<Point> { baseline };
var created = 0;
var retried = 0;
var stopped = false;
foreach (var milestone in milestones)
{
    var from = created;
    var latencies = new List<double>[concurrency];
    var watch = Stopwatch.StartNew();
    using var progressStop = new CancellationTokenSource();
    var progress = Task.Run(async () =>
    {
        while (!progressStop.IsCancellationRequested)
        {
            await Task.Delay(1000, CancellationToken.None);
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\raccounts {Volatile.Read(ref created):N0} / {milestone:N0}  {(Volatile.Read(ref created) - from) / watch.Elapsed.TotalSeconds:N0}/s  RSS {Rss() / 1048576:N0} MB  ticks {reminderTicks.Delivered:N0}  longest GC pause {gcPauses.MaxMs:N0} ms   "));
        }
    });
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
    {
        var mine = latencies[worker] = [];
        while (true)
        {
            var n = Interlocked.Increment(ref created);
            if (n > milestone)
            {
                Interlocked.Decrement(ref created);
                return;
            }

            var started = Stopwatch.GetTimestamp();
            var key = Ids.AccountKey("bench", $"a-{run}-{n}");
            // As the gateway does (SiloLossRetryFilter): an attempt that outlives its 5 s timeout is sent again, same
            // signal id, at most 3 times; each retry is counted and reported.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await grains.GetGrain<IAccountGrain>(key).IngestSignalsAsync([new SignalInput($"{run}-{n}", "WEBSITE_VISIT", null, 0.1, null)], actor);
                    break;
                }
                catch (TimeoutException) when (attempt < 3)
                {
                    Interlocked.Increment(ref retried);
                }
            }

            mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }));
    var seconds = watch.Elapsed.TotalSeconds;
    await progressStop.CancelAsync();
    await progress;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
    // The write-behind snapshots (SnapshotDelay, 30 s by default) are written before memory and storage are read.
    await Task.Delay(snapshotDelay + TimeSpan.FromSeconds(5));
    var point = Measure(created, (created - from) / seconds, P(0.5), P(0.99), all.Length == 0 ? double.NaN : all[^1]);
    points.Add(point);
    Report(point);
    if (point.RssBytes > maxRssMb * 1048576)
    {
        Console.Error.WriteLine($"RSS over --max-rss-mb {maxRssMb}: stopping before the next milestone");
        stopped = true;
        break;
    }

}

if (holdMinutes > 0 && !stopped)
{
    // No new accounts: what the process does on its own (the accounts' reminder ticks, idle collection, checkpoints).
    var watch = Stopwatch.StartNew();
    var ticksBefore = reminderTicks.Delivered;
    while (watch.Elapsed.TotalMinutes < holdMinutes)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\rholding {watch.Elapsed:mm\\:ss} / {holdMinutes:0.#} min  ticks {reminderTicks.Delivered - ticksBefore:N0}  RSS {Rss() / 1048576:N0} MB  longest GC pause {gcPauses.MaxMs:N0} ms   "));
    }

    var held = Measure(created, 0, double.NaN, double.NaN, double.NaN) with { Held = true };
    points.Add(held);
    Report(held);
}

await host.StopAsync();
Write(points, baseline, stopped);
Directory.Delete(data, recursive: true);
return 0;

void Report(Point point)
{
    double PerAccount(long bytes) => created == 0 ? 0 : bytes / 1024.0 / created;
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"\r{created,9:N0} accounts{(point.Held ? " (held)" : "")}: {point.AccountsPerSecond:N0}/s (p50 {point.P50Ms:0.0} ms, p99 {point.P99Ms:0.0} ms, max {point.MaxMs:0} ms), RSS {PerAccount(point.RssBytes - baseline.RssBytes):0.0} KB/account, heap {PerAccount(point.HeapBytes - baseline.HeapBytes):0.0} KB/account, {point.AccountActivations:N0} account activations, {point.Timers:N0} timers, {Volatile.Read(ref retried):N0} attempts retried after a timeout, state {PerAccount(point.StateBytes):0.00} KB/account, GC pauses {point.GcPauses:N0} ({point.GcPauseTotalMs / 1000:0.0} s, longest {point.GcPauseMaxMs:0} ms), {point.TicksDelivered:N0} reminder ticks delivered (latest {point.TickTardinessMaxSeconds:0.0} s late, {point.TicksOverOneSecondLate:N0} over 1 s), load {point.LoadAverage}"));
    foreach (var pause in point.LongGcPauses)
    {
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    GC pause {pause.Ms:N0} ms at {pause.At:HH:mm:ss}: gen {pause.Generation} {pause.Kind} ({pause.Reason})"));
    }
}

Point Measure(int accounts, double rate, double p50, double p99, double max)
{
    // The segment's GC pauses and reminder tardiness are taken before the benchmark's own forced collections.
    var pauses = gcPauses.Take();
    var tardiness = reminderTicks.TakeTardiness();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    var statistics = management.GetSimpleGrainStatistics().GetAwaiter().GetResult();
    long Activations(string type) => statistics.Where(s => s.GrainType.Contains(type, StringComparison.OrdinalIgnoreCase)).Sum(s => (long)s.ActivationCount);
    long Files(string name) => Directory.GetFiles(data, name + "*").Sum(f => new FileInfo(f).Length);
    return new Point(
        accounts, rate, p50, p99, max, Rss(), GC.GetTotalMemory(forceFullCollection: false),
        Activations("AccountGrain"), Activations("PullGrain"), statistics.Sum(s => (long)s.ActivationCount),
        AccountStateBytes(), Files("grains.db"), Files("reminders.db"), Files("ledger.db"), Timer.ActiveCount, LoadAverage())
    {
        GcPauses = pauses.Count,
        GcPauseTotalMs = pauses.TotalMs,
        GcPauseMaxMs = pauses.MaxMs,
        LongGcPauses = pauses.Long,
        TicksDelivered = reminderTicks.Delivered,
        TickTardinessMaxSeconds = tardiness.MaxSeconds,
        TicksOverOneSecondLate = tardiness.OverOneSecond,
    };
}

long AccountStateBytes()
{
    using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "grains.db")};Mode=ReadOnly");
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = "SELECT COALESCE(SUM(LENGTH(PayloadBinary)), 0) FROM OrleansStorage WHERE GrainTypeString LIKE '%account%'";
    return (long)command.ExecuteScalar()!;
}

static long Rss()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
    }

    return 0;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "";

void Write(List<Point> points, Point zero, bool stoppedEarly)
{
    var md = new StringBuilder();
    md.AppendLine(CultureInfo.InvariantCulture, $"New accounts by their first signal: {concurrency} concurrent callers, in process, embedded mode, shipped defaults{(stoppedEarly ? $" (stopped at --max-rss-mb {maxRssMb})" : "")}");
    md.AppendLine();
    md.AppendLine("| accounts | new accounts/s | p50 ms | p99 ms | max ms | RSS / account | managed heap / account | account activations | stored state / account | grains.db | reminders.db | ledger.db | timers | GC pauses (total, longest) | reminder ticks (latest start) | load |");
    md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var p in points.Skip(1))
    {
        double Kb(long bytes) => bytes / 1024.0 / p.Accounts;
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| {p.Accounts:N0}{(p.Held ? " held" : "")} | {p.AccountsPerSecond:N0} | {p.P50Ms:0.0} | {p.P99Ms:0.0} | {p.MaxMs:0} | {Kb(p.RssBytes - zero.RssBytes):0.0} KB | {Kb(p.HeapBytes - zero.HeapBytes):0.0} KB | {p.AccountActivations:N0} | {Kb(p.StateBytes):0.00} KB | {p.GrainsDbBytes / 1048576.0:0.0} MB | {p.RemindersDbBytes / 1048576.0:0.0} MB | {p.LedgerDbBytes / 1048576.0:0.0} MB | {p.Timers:N0} | {p.GcPauses:N0} ({p.GcPauseTotalMs / 1000:0.0} s, {p.GcPauseMaxMs:0} ms) | {p.TicksDelivered:N0} ({p.TickTardinessMaxSeconds:0.0} s) | {p.LoadAverage} |");
    }

    Console.WriteLine(md.ToString());
    var json = JsonSerializer.Serialize(new { benchmark = "accounts", cores = Environment.ProcessorCount, concurrency, stoppedEarly, baseline = zero, points = points.Skip(1) }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    if (Get("json", "") is { Length: > 0 } jsonPath) File.WriteAllText(jsonPath, json);
    if (Get("md", "") is { Length: > 0 } mdPath) File.WriteAllText(mdPath, md.ToString());
}

internal sealed record Point(
    int Accounts, double AccountsPerSecond, double P50Ms, double P99Ms, double MaxMs, long RssBytes, long HeapBytes,
    long AccountActivations, long PullActivations, long Activations, long StateBytes, long GrainsDbBytes, long RemindersDbBytes, long LedgerDbBytes, long Timers, string LoadAverage)
{
    public bool Held { get; init; }
    public long GcPauses { get; init; }
    public double GcPauseTotalMs { get; init; }
    public double GcPauseMaxMs { get; init; }
    public IReadOnlyList<GcPause> LongGcPauses { get; init; } = [];
    public long TicksDelivered { get; init; }
    public double TickTardinessMaxSeconds { get; init; }
    public long TicksOverOneSecondLate { get; init; }
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Autonomy.Bench.Ingest;

internal sealed record LoadSettings(string Token, string Tenant, int Seconds, int Concurrency, int Batch, int Accounts, bool Fresh, string Type);

internal sealed record Target(string Name, Uri Url, int? Pid);

/// <summary>One timed run against one target: requests, rates, latency percentiles and (when measured) allocation.</summary>
internal sealed record RunResult(
    string Target, int Round, double Seconds, long Requests, long Signals, long Errors,
    double RequestsPerSecond, double P50Ms, double P99Ms, double MaxMs, double? AllocatedBytesPerRequest, string LoadAverage);

/// <summary>
/// Rounds that alternate the targets (gateway, ceiling; then ceiling, gateway; ...), so a machine whose load changes
/// during the benchmark shifts both alike; the ratio of each round's pair is reported, and its median.
/// </summary>
internal static class IngestRun
{
    public static async Task<IngestReport> RunAsync(LoadSettings settings, IReadOnlyList<Target> targets, int rounds, int warmupSeconds)
    {
        var runId = Guid.NewGuid().ToString("N")[..6];
        var sequence = 0;
        if (warmupSeconds > 0)
        {
            foreach (var target in targets)
            {
                Console.Error.WriteLine($"warm-up {target.Name} {warmupSeconds} s");
                await RunOnceAsync(settings with { Seconds = warmupSeconds }, target, 0, $"{runId}w{sequence++}");
            }
        }

        var runs = new List<RunResult>();
        for (var round = 1; round <= rounds; round++)
        {
            var order = round % 2 == 1 ? targets : targets.Reverse().ToList();
            foreach (var target in order)
            {
                var result = await RunOnceAsync(settings, target, round, $"{runId}r{sequence++}");
                runs.Add(result);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}/{rounds} {target.Name,-8} {result.RequestsPerSecond,8:0} req/s  p50 {result.P50Ms,6:0.0} ms  p99 {result.P99Ms,7:0.0} ms  max {result.MaxMs,7:0.0} ms  errors {result.Errors}{Alloc(result)}  load {result.LoadAverage}"));
            }
        }

        return new IngestReport(settings, runs);
    }

    private static string Alloc(RunResult r) => r.AllocatedBytesPerRequest is { } b ? string.Create(CultureInfo.InvariantCulture, $"  alloc {b / 1024:0.0} KB/req") : "";

    private static async Task<RunResult> RunOnceAsync(LoadSettings settings, Target target, int round, string prefix)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = target.Url,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        var latencies = new List<double>[settings.Concurrency];
        long requests = 0, errors = 0;
        var load = LoadAverage();
        using var counters = round > 0 && target.Pid is { } pid ? AllocationCounter.Start(pid, settings.Seconds) : null;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(settings.Seconds));
        var watch = Stopwatch.StartNew();
        var progress = round > 0 ? Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(1000, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {target.Name} {watch.Elapsed.TotalSeconds:0} s: {Interlocked.Read(ref requests) / watch.Elapsed.TotalSeconds:0} req/s, {Interlocked.Read(ref errors)} errors   "));
            }

            Console.Error.Write('\r' + new string(' ', 60) + '\r');
        }) : Task.CompletedTask;

        await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(async worker =>
        {
            var mine = latencies[worker] = new List<double>(4096);
            var body = new StringBuilder();
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                body.Clear().Append("{\"signals\":[");
                for (var i = 0; i < settings.Batch; i++)
                {
                    body.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $"{{\"id\":\"{prefix}-{worker}-{n}-{i}\",\"type\":\"{settings.Type}\",\"value\":0.1}}");
                }

                body.Append("]}");
                var account = settings.Fresh ? $"new-{prefix}-{worker}-{n}" : $"acc-{((worker * 7919) + n) % settings.Accounts}";
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync($"/v1/tenants/{settings.Tenant}/accounts/{account}/signals", new StringContent(body.ToString(), Encoding.UTF8, "application/json"));
                    if (response.IsSuccessStatusCode)
                    {
                        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        Interlocked.Increment(ref requests);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));

        var elapsed = watch.Elapsed.TotalSeconds;
        await progress;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        var allocated = counters is null ? null : await counters.AllocatedBytesAsync();
        return new RunResult(
            target.Name, round, elapsed, all.Length, all.Length * (long)settings.Batch, errors,
            all.Length / elapsed, P(0.5), P(0.99), all.Length == 0 ? double.NaN : all[^1],
            allocated is { } bytes && all.Length > 0 ? bytes / all.Length : null, load);
    }

    /// <summary>The machine's 1-minute load average as /proc/loadavg says (empty where there is none).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "";
}

/// <summary>
/// Bytes the target process allocated during a run, from <c>dotnet-counters collect</c> (the runtime's
/// <c>dotnet.gc.heap.total_allocated</c>) when the tool is on the PATH; null otherwise.
/// </summary>
internal sealed class AllocationCounter : IDisposable
{
    private readonly Process _process;
    private readonly string _file;

    private AllocationCounter(Process process, string file)
    {
        _process = process;
        _file = file;
    }

    public static AllocationCounter? Start(int pid, int seconds)
    {
        var file = Path.Combine(Path.GetTempPath(), $"alloc-{pid}-{Guid.NewGuid():N}.csv");
        try
        {
            var info = new ProcessStartInfo("dotnet-counters")
            {
                ArgumentList = { "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--counters", "System.Runtime[dotnet.gc.heap.total_allocated]", "--refresh-interval", "1", "--format", "csv", "-o", file, "--duration", TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture) },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var process = Process.Start(info);
            return process is null ? null : new AllocationCounter(process, file);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>The sum of the per-second increments reported during the run.</summary>
    public async Task<double?> AllocatedBytesAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }

        if (!File.Exists(_file)) return null;
        double sum = 0;
        var rows = 0;
        foreach (var line in await File.ReadAllLinesAsync(_file))
        {
            var cells = line.Split(',');
            if (cells.Length < 5 || !cells[2].Contains("total_allocated", StringComparison.Ordinal)) continue;
            if (double.TryParse(cells[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var increment))
            {
                sum += increment;
                rows++;
            }
        }

        File.Delete(_file);
        return rows == 0 ? null : sum;
    }

    public void Dispose() => _process.Dispose();
}

/// <summary>The runs, and per target the median of its rounds; the ratio is the median of each round's gateway/ceiling.</summary>
internal sealed record IngestReport(LoadSettings Settings, IReadOnlyList<RunResult> Runs)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public async Task WriteAsync(string jsonPath, string markdownPath)
    {
        var targets = Runs.Select(r => r.Target).Distinct().ToList();
        var summary = targets.ToDictionary(t => t, t =>
        {
            var mine = Runs.Where(r => r.Target == t).ToList();
            return new
            {
                requestsPerSecond = Median(mine.Select(r => r.RequestsPerSecond)),
                p50Ms = Median(mine.Select(r => r.P50Ms)),
                p99Ms = Median(mine.Select(r => r.P99Ms)),
                maxMs = mine.Max(r => r.MaxMs),
                errors = mine.Sum(r => r.Errors),
                allocatedBytesPerRequest = mine.All(r => r.AllocatedBytesPerRequest is null) ? (double?)null : Median(mine.Where(r => r.AllocatedBytesPerRequest is not null).Select(r => r.AllocatedBytesPerRequest!.Value)),
            };
        });
        // Per target, the median over rounds of its rate over the ceiling's in the same round.
        var ratios = targets.Where(t => t != "ceiling").ToDictionary(t => t, t => Runs.Where(r => r.Target == t)
            .Join(Runs.Where(r => r.Target == "ceiling"), g => g.Round, c => c.Round, (g, c) => g.RequestsPerSecond / c.RequestsPerSecond)
            .ToList());
        ratios = ratios.Where(p => p.Value.Count > 0).ToDictionary();
        var ratio = ratios.TryGetValue("gateway", out var gatewayRatios) ? Median(gatewayRatios) : (double?)null;
        var json = JsonSerializer.Serialize(new
        {
            benchmark = "ingest",
            machine = new { cores = Environment.ProcessorCount, loadAverageAtEnd = IngestRun.LoadAverage() },
            settings = Settings with { Token = "" },
            runs = Runs,
            summary,
            ratio,
            ratios = ratios.ToDictionary(p => p.Key, p => new { median = Median(p.Value), rounds = p.Value }),
        }, Indented);

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Ingest: {Settings.Batch} signal(s) per request, {Settings.Concurrency} clients, {(Settings.Fresh ? "a new account per request" : $"{Settings.Accounts} accounts")}, {Runs.Max(r => r.Round)} rounds of {Settings.Seconds} s, load average {string.Join(" / ", Runs.Select(r => r.LoadAverage).Distinct())}");
        md.AppendLine();
        md.AppendLine("| target | req/s (median) | p50 ms | p99 ms | max ms | errors | allocated per request |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (t, s) in summary)
        {
            var alloc = s.allocatedBytesPerRequest is { } a ? string.Create(CultureInfo.InvariantCulture, $"{a / 1024:0.0} KB") : "n/a";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {t} | {s.requestsPerSecond:0} | {s.p50Ms:0.0} | {s.p99Ms:0.0} | {s.maxMs:0.0} | {s.errors} | {alloc} |");
        }

        foreach (var (t, rounds) in ratios)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Ratio {t} / ceiling: {Median(rounds):0.00} (rounds: {string.Join(", ", rounds.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))})");
        }

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

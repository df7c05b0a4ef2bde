using System.Diagnostics;
using System.Globalization;
using Autonomy.Bench.ClusterAccounts;
using Autonomy.Tests.Support;

// New accounts on a 2-silo PostgreSQL cluster: two silo processes and a gateway on a throw-away database (ProcessCluster:
// shipped defaults), each account brought in by its first signal posted over the HTTP API by many concurrent callers. At
// each milestone: the segment's rate and latency, non-2xx, retries, each silo's RSS, the activations per silo and the
// database's size. Then a second signal to a sample of existing accounts and the ledger read back for it over the API.
//   [--milestones 10000,50000,100000] [--concurrency 64] [--sample 1000] [--settle 35] [--attempt-timeout 30]
//   [--stall 120] [--json out.json] [--md out.md] [--logs prefix]
// PostgreSQL: AUTONOMY_TEST_POSTGRES (or the local development server). Silo and gateway builds: src/*/bin/Release.
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
string Get(string name, string fallback) => options.GetValueOrDefault(name, fallback);
double GetDouble(string name, double fallback) => double.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var milestones = Get("milestones", "10000,50000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Order().ToArray();
var settings = new Settings((int)GetDouble("concurrency", 64), (int)GetDouble("sample", 1000), GetDouble("settle", 35), GetDouble("attempt-timeout", 30));
var stall = TimeSpan.FromSeconds(GetDouble("stall", 120));

await using var database = await PostgresDatabase.CreateAsync();
var cluster = new ProcessCluster(database.ConnectionString);
var silos = new List<HostProcess>();
var siloPorts = new List<int>();
HostProcess? gateway = null;
try
{
    for (var i = 1; i <= 2; i++)
    {
        Console.Error.WriteLine($"starting silo-{i} ...");
        var port = Loopback.FreePort();
        siloPorts.Add(port);
        silos.Add(await cluster.StartSiloAsync($"silo-{i}", $"--Autonomy:SiloPort={port}"));
    }

    Console.Error.WriteLine("starting the gateway ...");
    gateway = cluster.StartGateway("gateway");
    await gateway.WaitReadyAsync();
    var tenant = "t-ca-" + Guid.NewGuid().ToString("N")[..8];
    var attemptTimeout = TimeSpan.FromSeconds(settings.AttemptTimeoutSeconds);
    using var ingest = gateway.Client(await ProcessCluster.MintAsync(tenant, "ingest", "crm"), attemptTimeout);
    using var auditor = gateway.Client(await ProcessCluster.MintAsync(tenant, "auditor", "bench"), TimeSpan.FromSeconds(60));
    await using var probe = await ClusterProbe.StartAsync(database.ConnectionString, cluster.ClusterId);
    var poster = new Poster(ingest);
    string Path(int n) => $"/v1/tenants/{tenant}/accounts/a-{n}/signals";

    // One account first, so the tenant grain and what every account shares are up before the baseline.
    await poster.PostAsync(Path(0), "warm", "WEBSITE_VISIT");
    await Task.Delay(TimeSpan.FromSeconds(5));
    var baseline = await MeasureAsync(0, 0, 0, [], 0, 0, 0, GatewayRetries());
    Console.Error.WriteLine($"baseline: silo RSS {string.Join(" + ", baseline.SiloRssBytes.Select(b => b / 1048576))} MB, gateway {baseline.GatewayRssBytes / 1048576} MB, load {baseline.LoadAverage}");

    var acknowledged = new bool[milestones[^1] + 1];
    var points = new List<Point>();
    var created = 0;
    var completed = 0;
    var stopped = "";
    foreach (var milestone in milestones)
    {
        var from = created;
        var (non2xx, timeouts, unavailable, gatewayRetries) = (poster.Non2xx, poster.RetriedTimeout, poster.Retried503, GatewayRetries());
        var latencies = new List<double>[settings.Concurrency];
        var watch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var work = Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = [];
            while (!stop.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref created);
                if (n > milestone)
                {
                    Interlocked.Decrement(ref created);
                    return;
                }

                var (ok, ms) = await poster.PostAsync(Path(n), $"f-{n}", "WEBSITE_VISIT");
                acknowledged[n] = ok;
                Interlocked.Increment(ref completed);
                lock (mine) mine.Add(ms);
            }
        })));

        // The progress line, once a second; a segment in which nothing completes for --stall, or a silo that exits, stops the run.
        var lastCompleted = Volatile.Read(ref completed);
        var lastProgress = Stopwatch.GetTimestamp();
        while (await Task.WhenAny(work, Task.Delay(1000)) != work)
        {
            var done = Volatile.Read(ref completed);
            if (done != lastCompleted)
            {
                (lastCompleted, lastProgress) = (done, Stopwatch.GetTimestamp());
            }

            var silent = Stopwatch.GetElapsedTime(lastProgress);
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\raccounts {done:N0} / {milestone:N0}  {(done - from) / watch.Elapsed.TotalSeconds:N0}/s  silo RSS {string.Join(" + ", silos.Select(s => ClusterProbe.Rss(s.Id) / 1048576))} MB  non-2xx {poster.Non2xx}  retried {poster.RetriedTimeout}/{poster.Retried503}  load {ClusterProbe.LoadAverage()}{(silent > TimeSpan.FromSeconds(5) ? $"  nothing completed for {silent.TotalSeconds:0} s" : "")}   "));
            if (silos.Concat([gateway]).FirstOrDefault(h => h.HasExited) is { } gone)
            {
                stopped = $"{gone.Name} exited";
            }
            else if (silent > stall)
            {
                stopped = $"no first signal completed for {stall.TotalSeconds:0} s at {done:N0} accounts";
            }

            if (stopped.Length > 0)
            {
                Console.Error.WriteLine($"\n{stopped}: stopping");
                await stop.CancelAsync();
                break;
            }
        }

        var seconds = watch.Elapsed.TotalSeconds;
        if (stopped.Length > 0)
        {
            // In-flight posts are left to their attempt timeouts; what completed is measured.
            await Task.WhenAny(work, Task.Delay(attemptTimeout * 3 + TimeSpan.FromSeconds(5)));
        }

        var all = latencies.Where(l => l is not null).SelectMany(l => { lock (l) return l.ToArray(); }).Order().ToArray();
        var reached = Volatile.Read(ref completed);
        if (stopped.Length == 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(settings.SettleSeconds));
        }

        var point = await MeasureAsync(reached, (reached - from) / seconds, seconds, all,
            poster.Non2xx - non2xx, poster.RetriedTimeout - timeouts, poster.Retried503 - unavailable, GatewayRetries() - gatewayRetries);
        points.Add(point);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"\r{reached,9:N0} accounts: {point.AccountsPerSecond:N0}/s (p50 {point.P50Ms:0.0} ms, p99 {point.P99Ms:0.0} ms, max {point.MaxMs:0} ms), non-2xx {point.Non2xx}, retried {point.RetriedTimeout}/{point.Retried503}, gateway retries {point.GatewayRetries}, silo RSS {string.Join(" + ", point.SiloRssBytes.Select(b => b / 1048576))} MB ({point.SiloRssBytes.Zip(baseline.SiloRssBytes, (a, b) => a - b).Sum() / 1024.0 / Math.Max(1, reached):0.0} KB/account), account activations {string.Join(" + ", point.SiloAccountActivations)}, load {point.LoadAverage}          "));
        if (stopped.Length > 0)
        {
            break;
        }
    }

    Check? check = null;
    if (stopped.Length == 0)
    {
        check = await Verification.RunAsync(poster, auditor, tenant, acknowledged, settings.Sample, Path);
    }

    Dictionary<string, long> statuses;
    lock (poster.Statuses) statuses = new(poster.Statuses);
    ClusterAccountsReport.Write(settings, baseline, points, check, statuses, stopped, Get("json", ""), Get("md", ""));
    return stopped.Length == 0 ? 0 : 1;

    // The gateway logs each retry of a grain call (SiloLossRetryFilter at Information, as ProcessCluster starts it).
    long GatewayRetries() => gateway!.Log.Split('\n').Count(l => l.Contains("Retrying ", StringComparison.Ordinal));

    async Task<Point> MeasureAsync(int accounts, double rate, double seconds, double[] sorted, long non2xx, long timeouts, long unavailable, long retries)
    {
        IReadOnlyList<long> perSilo = [];
        long activations = 0;
        try
        {
            var stats = await probe.ActivationsAsync().WaitAsync(TimeSpan.FromSeconds(60));
            perSilo = [.. siloPorts.Select(p => stats.TryGetValue(p, out var s) ? s.Accounts : 0)];
            activations = stats.Values.Sum(s => s.All);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            Console.Error.WriteLine($"\nactivation counts not read: {ex.Message}");
        }

        return new Point(accounts, seconds, rate, ClusterAccountsReport.Percentile(sorted, 0.5), ClusterAccountsReport.Percentile(sorted, 0.99),
            sorted.Length == 0 ? double.NaN : sorted[^1], non2xx, timeouts, unavailable, retries, [.. silos.Select(s => ClusterProbe.Rss(s.Id))],
            ClusterProbe.Rss(gateway!.Id), perSilo, activations, await probe.DatabaseBytesAsync(), ClusterProbe.LoadAverage());
    }
}
finally
{
    if (Get("logs", "") is { Length: > 0 } prefix)
    {
        foreach (var host in cluster.Hosts)
        {
            await File.WriteAllTextAsync($"{prefix}-{host.Name}.log", host.Log);
        }
    }

    await cluster.DisposeAsync();
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Autonomy.Bench.KillSwitch;
using Autonomy.Tests.Support;

// Kill switch engaged -> no new execution, across 3 silos under load. Three silo processes and a gateway on a throw-away
// PostgreSQL database (shipped defaults but for AllowPrivateNetworks, so actions reach the receiver on loopback);
// signals posted at a steady rate to many accounts, each run auto-executing CREATE_TASK through the tenant's webhook
// to the receiver in this process. Then, repeatedly: the tenant switch `all` engaged over the HTTP API, held, released.
//   [--engagements 25] [--accounts 1000] [--rate 40] [--workers 16] [--released 2] [--held 1] [--json out.json] [--md out.md]
// PostgreSQL: AUTONOMY_TEST_POSTGRES (or the local development server). Silo and gateway builds: src/*/bin/Release.
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
int GetInt(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
double GetDouble(string name, double fallback) => options.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
var engagements = GetInt("engagements", 25);
var accounts = GetInt("accounts", 1000);
var rate = GetDouble("rate", 40);
var workers = GetInt("workers", 16);
var released = TimeSpan.FromSeconds(GetDouble("released", 2));
var held = TimeSpan.FromSeconds(GetDouble("held", 1));
const string AllowPrivate = "--Autonomy:Webhooks:AllowPrivateNetworks=true";

await using var database = await PostgresDatabase.CreateAsync();
await using var receiver = await Receiver.StartAsync(Loopback.FreePort());
var cluster = new ProcessCluster(database.ConnectionString);
try
{
    var silos = new List<HostProcess>();
    for (var i = 1; i <= 3; i++)
    {
        Console.Error.WriteLine($"starting silo-{i} ...");
        silos.Add(await cluster.StartSiloAsync($"silo-{i}", AllowPrivate));
    }

    Console.Error.WriteLine("starting the gateway ...");
    var gateway = cluster.StartGateway("gateway", null, AllowPrivate);
    await gateway.WaitReadyAsync();
    receiver.WatchSenders(silos.ToDictionary(s => s.Id, s => s.Name));

    var tenant = "t-ks-" + Guid.NewGuid().ToString("N")[..8];
    using var admin = gateway.Client(await ProcessCluster.MintAsync(tenant, "admin", "bench"));
    using var ingest = gateway.Client(await ProcessCluster.MintAsync(tenant, "ingest", "crm"));
    await SetUpAsync(admin, tenant, receiver.Url, accounts);
    Console.Error.WriteLine($"tenant {tenant}: {accounts} accounts, executor webhook {receiver.Url}");

    // The load: one signal per request at a steady rate, account after account (6 runs per account and hour at most).
    using var stopLoad = new CancellationTokenSource();
    var statuses = new ConcurrentDictionary<string, int>();
    long sequence = 0;
    var loadWatch = Stopwatch.StartNew();
    var load = Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
    {
        while (!stopLoad.IsCancellationRequested)
        {
            var n = Interlocked.Increment(ref sequence);
            var due = TimeSpan.FromSeconds(n / rate) - loadWatch.Elapsed;
            if (due > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(due, stopLoad.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            var body = $$"""{"signals":[{"id":"s-{{n}}","type":"TEST_INSTANT","value":0.8}]}""";
            string status;
            try
            {
                using var response = await ingest.PostAsync($"/v1/tenants/{tenant}/accounts/acc-{n % accounts}/signals", Json(body));
                status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                status = ex.GetType().Name;
            }

            statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
        }
    })));

    // Warm-up: executions flowing, from every silo.
    var warm = Stopwatch.StartNew();
    while (warm.Elapsed < TimeSpan.FromSeconds(120))
    {
        var senders = receiver.Deliveries.Select(d => receiver.Sender(d.RemotePort)).Where(s => s != "?").Distinct().Count();
        Console.Error.Write($"\rwarm-up: {receiver.Count} executions delivered, from {senders} of 3 silos   ");
        if (receiver.Count >= 50 && senders == 3)
        {
            break;
        }

        await Task.Delay(500);
    }

    Console.Error.WriteLine();
    var results = new List<Engagement>();
    for (var e = 1; e <= engagements; e++)
    {
        var windowStart = Stopwatch.GetTimestamp();
        await Task.Delay(released);
        var before = receiver.Deliveries.Where(d => d.ArrivedAt >= windowStart).ToList();

        var sent = Stopwatch.GetTimestamp();
        var sentUtc = DateTimeOffset.UtcNow;
        using (var put = await admin.PutAsync($"/v1/tenants/{tenant}/kill-switches/all", Json("""{"engaged":true,"reason":"bench"}""")))
        {
            if (put.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"engage answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
            }
        }

        var ok = Stopwatch.GetTimestamp();
        var okUtc = DateTimeOffset.UtcNow;
        await Task.Delay(held);
        var releaseUtc = DateTimeOffset.UtcNow;
        using (var put = await admin.PutAsync($"/v1/tenants/{tenant}/kill-switches/all", Json("""{"engaged":false,"reason":"bench"}""")))
        {
            if (put.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"release answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
            }
        }

        // Deliveries that arrived after the PUT was sent and before the release was sent (none of the release's own).
        var window = receiver.Deliveries.Where(d => d.ArrivedAt >= sent && d.ArrivedUtc < releaseUtc).ToList();
        var after = window.Where(d => d.ArrivedAt > ok).ToList();
        double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
        var perSilo = window.GroupBy(d => receiver.Sender(d.RemotePort)).ToDictionary(g => g.Key, g => Ms(ok, g.Max(d => d.ArrivedAt)));
        var result = new Engagement(
            e, Ms(sent, ok), sentUtc, okUtc, releaseUtc,
            before.Count, before.Select(d => receiver.Sender(d.RemotePort)).Where(s => s != "?").Distinct().Count(),
            window.Count, after.Count,
            after.Count == 0 ? 0 : Ms(ok, after.Max(d => d.ArrivedAt)),
            window.Count == 0 ? 0 : Ms(sent, window.Max(d => d.ArrivedAt)),
            perSilo, [.. after.Select(d => d.RunId ?? "")]);
        results.Add(result);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"engagement {e,2}/{engagements}: PUT {result.PutMs,6:0.0} ms; before it {result.DeliveriesBefore,3} executions from {result.SilosBefore} silos; after the 200 {result.DeliveriesAfter200} arrived, the last {result.LastAfter200Ms:0.0} ms after it; load {LoadAverage()}"));
    }

    await stopLoad.CancelAsync();
    await load;
    var loadSeconds = loadWatch.Elapsed.TotalSeconds;

    // What the ledger says: every KILL_SWITCH_CHECKED that let an action through, by time; one inside an engaged window
    // (after the engage's 200, before the release was sent) is an execution that started after the switch was on.
    await Task.Delay(TimeSpan.FromSeconds(3));
    var passes = new List<(DateTimeOffset At, string? RunId)>();
    using (var export = await admin.GetAsync($"/v1/tenants/{tenant}/ledger/export", HttpCompletionOption.ResponseHeadersRead))
    using (var reader = new StreamReader(await export.Content.ReadAsStreamAsync()))
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0 || !line.Contains("KILL_SWITCH_CHECKED", StringComparison.Ordinal)) continue;
            using var entry = JsonDocument.Parse(line);
            var root = entry.RootElement;
            if (root.GetProperty("type").GetString() == "KILL_SWITCH_CHECKED" && !root.GetProperty("payload").GetProperty("stopped").GetBoolean())
            {
                passes.Add((root.GetProperty("at").GetDateTimeOffset(), root.TryGetProperty("runId", out var run) ? run.GetString() : null));
            }
        }
    }

    var violations = results.Sum(r => passes.Count(p => p.At > r.OkUtc && p.At < r.ReleaseUtc));
    var afterRuns = results.SelectMany(r => r.RunsAfter200.Select(run => (r, run))).ToList();
    var startedAfter = afterRuns.Count(x => passes.Where(p => p.RunId == x.run).Select(p => p.At).DefaultIfEmpty().Max() > x.r.OkUtc);
    KillSwitchReport.Write(new KillSwitchSettings(engagements, accounts, rate, workers, released.TotalSeconds, held.TotalSeconds), results,
        receiver.Count, statuses.ToDictionary(), loadSeconds, passes.Count, violations, startedAfter,
        options.GetValueOrDefault("json", ""), options.GetValueOrDefault("md", ""));
}
finally
{
    await cluster.DisposeAsync();
}

return 0;

static async Task SetUpAsync(HttpClient admin, string tenant, Uri webhook, int accounts)
{
    var t = $"/v1/tenants/{tenant}";
    await Ok(admin.PutAsync($"{t}/autonomy/modes/CREATE_TASK", Json("""{"mode":"AUTO_EXECUTE"}""")));
    await Ok(admin.PutAsync($"{t}/autonomy/budget", Json("""{"maxPerAccountPerDay":100,"maxPerActionTypePerDay":{}}""")));
    await Ok(admin.PutAsync($"{t}/cost-budget", Json("""{"decisionRunsPerDay":1000000,"engineTokensPerDay":2000000,"pullsPerDay":50000,"minRunIntervalSeconds":0}""")));
    await Ok(admin.PutAsync($"{t}/playbook", Json("""
        {"rules":[{"when":{"signalType":"TEST_INSTANT"},"propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Follow up"},"confidence":0.9}]}],
         "triggers":[{"type":"TEST_INSTANT","debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}]}
        """)));
    await Ok(admin.PutAsync($"{t}/executor", Json($$"""{"webhookUrl":"{{webhook}}","webhookActionTypes":["CREATE_TASK"]}""")));
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
    {
        for (var i = Interlocked.Increment(ref next); i < accounts; i = Interlocked.Increment(ref next))
        {
            await Ok(admin.PutAsync($"{t}/accounts/acc-{i}", Json($$"""{"ownerId":"seller-{{i % 50}}","lifecycle":"CUSTOMER"}""")));
        }
    }));
}

static async Task Ok(Task<HttpResponseMessage> call)
{
    using var response = await call;
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "";

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

// Ingest load: POSTs signal batches to a running gateway from many concurrent clients for a fixed time and
// reports acknowledged signals per second and request latency percentiles.
//   dotnet run -c Release --project bench/Ingest -- --url http://127.0.0.1:5080 --token <ingest JWT> --tenant acme
//       [--seconds 20] [--concurrency 64] [--batch 10] [--accounts 1000]
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
string Get(string name, string fallback) => options.TryGetValue(name, out var v) ? v : fallback;
int GetInt(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var url = new Uri(Get("url", "http://127.0.0.1:5080"));
var token = Get("token", string.Empty);
var tenant = Get("tenant", "bench");
var seconds = GetInt("seconds", 20);
var concurrency = GetInt("concurrency", 64);
var batch = GetInt("batch", 10);
var accounts = GetInt("accounts", 1000);
var type = Get("type", "WEBSITE_VISIT");

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = url };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
var run = Guid.NewGuid().ToString("N")[..6];
var latencies = new List<double>[concurrency];
long signals = 0, errors = 0;
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
var watch = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
{
    var mine = latencies[worker] = [];
    var body = new StringBuilder();
    for (var n = 0; !stop.IsCancellationRequested; n++)
    {
        body.Clear().Append("{\"signals\":[");
        for (var i = 0; i < batch; i++)
        {
            body.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $"{{\"id\":\"{run}-{worker}-{n}-{i}\",\"type\":\"{type}\",\"value\":0.1}}");
        }

        body.Append("]}");
        var account = ((worker * 7919) + n) % accounts;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.PostAsync($"/v1/tenants/{tenant}/accounts/acc-{account}/signals", new StringContent(body.ToString(), Encoding.UTF8, "application/json"));
            if (response.IsSuccessStatusCode)
            {
                Interlocked.Add(ref signals, batch);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            else
            {
                Interlocked.Increment(ref errors);
            }
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref errors);
        }
    }
}));

var elapsed = watch.Elapsed.TotalSeconds;
var all = latencies.SelectMany(l => l).Order().ToArray();
double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"ingest: {signals / elapsed:0} signals/s ({all.Length / elapsed:0} requests/s of {batch}), {errors} errors, latency p50 {P(0.5):0.0} ms p99 {P(0.99):0.0} ms, {concurrency} clients, {accounts} accounts, {elapsed:0.0} s"));
return errors > 0 && signals == 0 ? 1 : 0;

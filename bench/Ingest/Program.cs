using System.Globalization;
using Autonomy.Bench.Ingest;

// `ceiling [host options]` runs the bare ceiling endpoint (CeilingHost); anything else is the load generator:
//   --url http://127.0.0.1:5099 --token <ingest JWT> --tenant bench      the gateway under test
//   [--ceiling http://127.0.0.1:5098]        the ceiling; rounds alternate gateway, ceiling, ceiling, gateway, ...
//   [--rounds 3] [--seconds 20] [--warmup 3] [--concurrency 32] [--batch 1] [--accounts 5000]
//   [--baseline http://127.0.0.1:5097]      another build of the gateway, in the same rounds (before/after a change)
//   [--fresh true]                           every request goes to a new account (activation rate)
//   [--pid <gateway pid>] [--ceiling-pid <pid>] [--baseline-pid <pid>]   allocation per request, read with dotnet-counters when installed
//   [--json out.json] [--md out.md]
if (args.Length > 0 && args[0] == "ceiling")
{
    return CeilingHost.Run(args[1..]);
}

var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
string Get(string name, string fallback) => options.TryGetValue(name, out var v) ? v : fallback;
int GetInt(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
int? Pid(string name) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : null;

var settings = new LoadSettings(
    Token: Get("token", string.Empty),
    Tenant: Get("tenant", "bench"),
    Seconds: GetInt("seconds", 20),
    Concurrency: GetInt("concurrency", 32),
    Batch: GetInt("batch", 1),
    Accounts: GetInt("accounts", 5000),
    Fresh: bool.Parse(Get("fresh", "false")),
    Type: Get("type", "WEBSITE_VISIT"));

var targets = new List<Target> { new("gateway", new Uri(Get("url", "http://127.0.0.1:5099")), Pid("pid")) };
if (options.TryGetValue("ceiling", out var ceiling))
{
    targets.Add(new Target("ceiling", new Uri(ceiling), Pid("ceiling-pid")));
}

if (options.TryGetValue("baseline", out var baseline))
{
    targets.Add(new Target("baseline", new Uri(baseline), Pid("baseline-pid")));
}

var report = await IngestRun.RunAsync(settings, targets, GetInt("rounds", 3), GetInt("warmup", 3));
await report.WriteAsync(Get("json", ""), Get("md", ""));
return report.Runs.Any(r => r.Requests > 0) ? 0 : 1;

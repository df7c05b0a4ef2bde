using System.Diagnostics;

namespace Autonomy.Bench.ClusterAccounts;

/// <summary>
/// After the last milestone: ingest still works (a second signal to a sample of existing accounts, spread over them),
/// and every acknowledged signal of the sample is in the ledger, read back over the API (SIGNAL_INGESTED entries of
/// the account, by signal id).
/// </summary>
internal static class Verification
{
    public static async Task<Check> RunAsync(Poster poster, HttpClient auditor, string tenant, bool[] acknowledged, int sample, Func<int, string> path)
    {
        var accounts = Enumerable.Range(1, acknowledged.Length - 1).ToArray();
        var chosen = Enumerable.Range(0, Math.Min(sample, accounts.Length)).Select(i => accounts[(int)((long)i * accounts.Length / Math.Min(sample, accounts.Length))]).ToArray();
        var second = new Poster(poster.Client);
        var secondOk = new bool[acknowledged.Length];
        var latencies = new double[chosen.Length];
        var next = -1;
        Console.Error.WriteLine($"second signal to {chosen.Length:N0} existing accounts ...");
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < chosen.Length; i = Interlocked.Increment(ref next))
            {
                var (ok, ms) = await second.PostAsync(path(chosen[i]), $"s-{chosen[i]}", "WEBSITE_VISIT");
                secondOk[chosen[i]] = ok;
                latencies[i] = ms;
            }
        })));

        Console.Error.WriteLine($"reading the ledger of {chosen.Length:N0} accounts ...");
        var firstFound = 0;
        var secondFound = 0;
        var queried = 0;
        var missing = new List<string>();
        next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < chosen.Length; i = Interlocked.Increment(ref next))
            {
                var n = chosen[i];
                if (!acknowledged[n])
                {
                    continue;
                }

                // A few reads a second apart: an acknowledged signal is durable, so it must be there; the retries only
                // spare a transient error of the read itself.
                var first = false;
                var again = false;
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < TimeSpan.FromSeconds(10))
                {
                    var page = await ReadAsync(auditor, $"/v1/tenants/{tenant}/ledger?accountId=a-{n}&type=SIGNAL_INGESTED&limit=100");
                    first = page.Contains($"\"f-{n}\"", StringComparison.Ordinal);
                    again = page.Contains($"\"s-{n}\"", StringComparison.Ordinal);
                    if (page.Length > 0 && first && (again || !secondOk[n]))
                    {
                        break;
                    }

                    await Task.Delay(1000);
                }

                Interlocked.Increment(ref queried);
                if (first) Interlocked.Increment(ref firstFound);
                else lock (missing) missing.Add($"f-{n}");
                if (secondOk[n] && again) Interlocked.Increment(ref secondFound);
                else if (secondOk[n]) lock (missing) missing.Add($"s-{n}");
            }
        })));

        Array.Sort(latencies);
        Dictionary<string, long> statuses;
        lock (second.Statuses) statuses = new(second.Statuses);
        return new Check(chosen.Length, chosen.Count(n => secondOk[n]), statuses,
            ClusterAccountsReport.Percentile(latencies, 0.5), ClusterAccountsReport.Percentile(latencies, 0.99), latencies.Length == 0 ? double.NaN : latencies[^1],
            queried, firstFound, secondFound, missing);
    }

    private static async Task<string> ReadAsync(HttpClient auditor, string path)
    {
        try
        {
            using var response = await auditor.GetAsync(path);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return "";
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Autonomy.Tests.Support;
using Xunit.Abstractions;

namespace Autonomy.Tests.Cluster;

/// <summary>
/// A silo lost under load is latency, not errors: the gateway retries idempotent grain calls (signals, account
/// upserts, reads) across the loss, so clients that never retry see only 2xx.
/// </summary>
public sealed class SiloLossTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    /// <summary>Longer than the gateway takes to retry a call across the loss.</summary>
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    private const int Accounts = 32;
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task SignalPostsAcrossASiloKillAllSucceedWithoutClientRetries()
    {
        await using var cluster = new ProcessCluster(_database.ConnectionString);
        await cluster.StartSiloAsync("silo-1");
        var victim = await cluster.StartSiloAsync("silo-2");
        var gateway = await cluster.StartGatewayAsync("gateway");
        var tenant = "t-loss-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = gateway.Client(await ProcessCluster.MintAsync(tenant, "admin", "alice"), ClientTimeout);
        using var ingest = gateway.Client(await ProcessCluster.MintAsync(tenant, "ingest", "crm"), ClientTimeout);
        for (var i = 0; i < Accounts; i++)
        {
            var created = await admin.PutAsync($"/v1/tenants/{tenant}/accounts/acc-{i}", Json("""{"ownerId":"seller-1","lifecycle":"CUSTOMER"}"""));
            Assert.True(created.IsSuccessStatusCode, $"{created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        }

        // Every post is sent once: a client that does not retry sees exactly what the gateway answered.
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var refused = new ConcurrentQueue<string>();
        var slowest = TimeSpan.Zero;
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var id = $"w{w}-{n}";
                var account = $"acc-{(w + (n * 4)) % Accounts}";
                var sent = Stopwatch.StartNew();
                try
                {
                    var response = await ingest.PostAsync(
                        $"/v1/tenants/{tenant}/accounts/{account}/signals",
                        Json($$"""{"signals":[{"id":"{{id}}","type":"EMAIL_REPLY_RECEIVED","value":0.5}]}"""));
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        acknowledged.TryAdd(id, 0);
                        lock (refused)
                        {
                            slowest = sent.Elapsed > slowest ? sent.Elapsed : slowest;
                        }
                    }
                    else
                    {
                        refused.Enqueue($"{id} on {account}: {(int)response.StatusCode} after {sent.Elapsed.TotalSeconds:0.0} s {await response.Content.ReadAsStringAsync()}");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    refused.Enqueue($"{id} on {account}: {ex.GetType().Name} after {sent.Elapsed.TotalSeconds:0.0} s {ex.Message}");
                }
            }
        })));

        await Eventually.UntilAsync(() => acknowledged.Count >= 100, Bound, "the load to get going");
        var killed = Stopwatch.StartNew();
        victim.KillHard();

        // Keep the load on through the whole failure detection, and a while after the survivor took over.
        await Eventually.UntilAsync(async () => await _database.DeadSilosAsync(cluster.ClusterId) >= 1, Bound, "membership to declare the killed silo dead");
        var declaredDead = killed.Elapsed;
        var afterDeath = acknowledged.Count;
        await Eventually.UntilAsync(() => acknowledged.Count >= afterDeath + 100, Bound, "signals to go on being acknowledged after the silo was declared dead");
        await stop.CancelAsync();
        await load;

        output.WriteLine($"MEASURED silo loss: {acknowledged.Count} signal posts acknowledged, {refused.Count} answered otherwise, the slowest acknowledged in {slowest.TotalSeconds:0.0} s; the killed silo was declared dead {declaredDead.TotalSeconds:0.0} s after SIGKILL.");
        Assert.True(refused.IsEmpty, $"{refused.Count} of {acknowledged.Count + refused.Count} signal posts were not acknowledged:\n{string.Join('\n', refused.Take(10))}\ngateway:\n{gateway.Log[^Math.Min(gateway.Log.Length, 4000)..]}");

        var ledgered = (await admin.GetStringAsync($"/v1/tenants/{tenant}/ledger/export"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "SIGNAL_INGESTED")
            .SelectMany(e => e.GetProperty("payload").GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("id").GetString()!))
            .ToHashSet();
        Assert.Subset(ledgered, acknowledged.Keys.ToHashSet());
    }

    [Fact]
    public async Task PastTheRetryDeadlineASignalPostIs503WithRetryAfter()
    {
        await using var cluster = new ProcessCluster(_database.ConnectionString);
        var silo = await cluster.StartSiloAsync("silo-1");
        var gateway = cluster.StartGateway("gateway", null, "--Autonomy:Gateway:RetryDeadline=00:00:07");
        await gateway.WaitReadyAsync();
        var tenant = "t-gone-" + Guid.NewGuid().ToString("N")[..8];
        using var ingest = gateway.Client(await ProcessCluster.MintAsync(tenant, "ingest", "crm"), ClientTimeout);
        var post = () => ingest.PostAsync($"/v1/tenants/{tenant}/accounts/acc-1/signals", Json("""{"signals":[{"id":"s-1","type":"EMAIL_REPLY_RECEIVED","value":0.5}]}"""));
        Assert.Equal(HttpStatusCode.Accepted, (await post()).StatusCode);

        // No silo left: the gateway keeps retrying for its deadline (longer than the 5 s an attempt caught on the dead
        // silo waits), then says so.
        silo.KillHard();
        var sent = Stopwatch.StartNew();
        var response = await post();
        var elapsed = sent.Elapsed;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.True(elapsed >= TimeSpan.FromSeconds(7), $"answered after {elapsed}, before the 7 s retry deadline");
        Assert.True(gateway.Log.Contains("IAccountGrain.IngestSignalsAsync after", StringComparison.Ordinal), $"after {elapsed}:\n{gateway.Log}");
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}

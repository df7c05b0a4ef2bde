using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Autonomy.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace Autonomy.Tests.Cluster;

/// <summary>
/// A database outage under load is answered 503 with Retry-After, never 500, and loses nothing acknowledged: a silo
/// and a gateway reach PostgreSQL through a proxy the test cuts (every connection reset, new ones refused) and
/// restores, so the shared server keeps running for everyone else.
/// </summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private const int Accounts = 32;
    private PostgresDatabase _database = null!;
    private TcpProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var server = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        _proxy = new TcpProxy(server.Host ?? "127.0.0.1", server.Port);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task SignalPostsAcrossADatabaseOutageAreAcknowledgedOr503WithRetryAfterAndNothingAcknowledgedIsLost()
    {
        var throughProxy = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Host = "127.0.0.1", Port = _proxy.Port }.ConnectionString;
        await using var cluster = new ProcessCluster(throughProxy);
        await cluster.StartSiloAsync("silo-1");
        var gateway = await cluster.StartGatewayAsync("gateway");
        var tenant = "t-outage-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = gateway.Client(await ProcessCluster.MintAsync(tenant, "admin", "alice"), TimeSpan.FromSeconds(60));
        using var ingest = gateway.Client(await ProcessCluster.MintAsync(tenant, "ingest", "crm"), TimeSpan.FromSeconds(60));
        for (var i = 0; i < Accounts; i++)
        {
            await admin.PutAsync($"/v1/tenants/{tenant}/accounts/acc-{i}", Json("""{"ownerId":"seller-1","lifecycle":"CUSTOMER"}"""));
        }

        // Every post is sent once; every fifth goes to an account never seen, so activations read storage too.
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var unavailable = new ConcurrentQueue<string>();
        var titles = new ConcurrentDictionary<string, int>();
        var wrong = new ConcurrentQueue<string>();
        var cut = 0;
        var unavailableWhileCut = 0;
        var newAccountsRefused = 0;
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var id = $"w{w}-{n}";
                var fresh = n % 5 == 0;
                var account = fresh ? $"new-{w}-{n}" : $"acc-{(w + (n * 4)) % Accounts}";
                var sent = Stopwatch.StartNew();
                try
                {
                    using var response = await ingest.PostAsync(
                        $"/v1/tenants/{tenant}/accounts/{account}/signals", Json($$"""{"signals":[{"id":"{{id}}","type":"EMAIL_REPLY_RECEIVED","value":0.5}]}"""));
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        acknowledged.TryAdd(id, 0);
                    }
                    else if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter?.Delta is { } wait && wait > TimeSpan.Zero
                        && response.Content.Headers.ContentType?.MediaType == "application/problem+json")
                    {
                        unavailable.Enqueue(body);
                        titles.AddOrUpdate(JsonDocument.Parse(body).RootElement.GetProperty("title").GetString() ?? "", 1, (_, n) => n + 1);
                        if (Volatile.Read(ref cut) == 1)
                        {
                            Interlocked.Increment(ref unavailableWhileCut);
                            if (fresh)
                            {
                                Interlocked.Increment(ref newAccountsRefused);
                            }
                        }
                    }
                    else
                    {
                        wrong.Enqueue($"{id} on {account}: {(int)response.StatusCode} (Retry-After {response.Headers.RetryAfter}) after {sent.Elapsed.TotalSeconds:0.0} s {body}");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    wrong.Enqueue($"{id} on {account}: {ex.GetType().Name} after {sent.Elapsed.TotalSeconds:0.0} s {ex.Message}");
                }
            }
        })));

        await Eventually.UntilAsync(() => acknowledged.Count >= 100, Bound, "the load to get going");

        // The database goes away, and stays away until the outage has been answered on every path: ledger appends of
        // active accounts, and activations of accounts never seen, which read grain state first.
        _proxy.Cut();
        Volatile.Write(ref cut, 1);
        var outage = Stopwatch.StartNew();
        await Eventually.UntilAsync(
            () => unavailableWhileCut >= 300 && newAccountsRefused >= 20 && titles.ContainsKey("Storage unavailable") && titles.ContainsKey("Ledger unavailable"),
            Bound, "posts to be answered 503 during the outage, on the ledger and the grain storage paths");
        var outageLasted = outage.Elapsed;
        Volatile.Write(ref cut, 0);
        _proxy.Restore();

        var beforeRecovery = acknowledged.Count;
        await Eventually.UntilAsync(() => acknowledged.Count >= beforeRecovery + 100, Bound, "signals to be acknowledged again once the database is back");
        await stop.CancelAsync();
        await load;

        output.WriteLine($"MEASURED database outage of {outageLasted.TotalSeconds:0.0} s: {acknowledged.Count} signal posts acknowledged, {unavailable.Count} answered 503 with Retry-After, {wrong.Count} otherwise.");
        output.WriteLine($"503s by title: {string.Join(", ", titles.Select(t => $"{t.Key}: {t.Value}"))}; a 503: {unavailable.FirstOrDefault()}");
        Assert.True(wrong.IsEmpty, $"{wrong.Count} signal posts were answered neither 2xx nor 503 with Retry-After:\n{string.Join('\n', wrong.Take(10))}\ngateway:\n{Tail(gateway.Log)}");

        var ledgered = (await admin.GetStringAsync($"/v1/tenants/{tenant}/ledger/export"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("type", out var type) && type.GetString() == "SIGNAL_INGESTED")
            .SelectMany(e => e.GetProperty("payload").GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("id").GetString()!))
            .ToHashSet();
        Assert.Subset(ledgered, acknowledged.Keys.ToHashSet());
    }

    private static string Tail(string log) => log[^Math.Min(log.Length, 4000)..];

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}

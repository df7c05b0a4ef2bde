using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Autonomy.Tests.Support;
using Xunit.Abstractions;

namespace Autonomy.Tests.Cluster;

/// <summary>Two silo processes and a gateway process on loopback against PostgreSQL; one silo is killed with SIGKILL under load.</summary>
public sealed class ProcessClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private const int Accounts = 16;
    private const int Budget = 3;
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task KillingASiloProcessUnderLoadKeepsTheGatewayAnsweringAndLosesNothing()
    {
        await using var cluster = new ProcessCluster(_database.ConnectionString);
        var silos = new[] { await cluster.StartSiloAsync("silo-1"), await cluster.StartSiloAsync("silo-2") };
        var victim = silos[1];
        var gateway = await cluster.StartGatewayAsync("gateway");
        var tenant = "t-proc-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = gateway.Client(await ProcessCluster.MintAsync(tenant, "admin", "alice"));
        using var ingest = gateway.Client(await ProcessCluster.MintAsync(tenant, "ingest", "crm"));
        await SetUpAsync(admin, tenant);

        var acknowledged = new ConcurrentDictionary<string, byte>();
        var failures = 0;
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var id = $"w{w}-{n}";
                var body = $$"""{"signals":[{"id":"{{id}}","type":"TEST_INSTANT","value":0.8}]}""";
                for (var attempt = 0; attempt < 50 && !acknowledged.ContainsKey(id); attempt++)
                {
                    try
                    {
                        var response = await ingest.PostAsync($"/v1/tenants/{tenant}/accounts/acc-{(w + (n * 4)) % Accounts}/signals", Json(body));
                        if (response.StatusCode == HttpStatusCode.Accepted)
                        {
                            acknowledged.TryAdd(id, 0);
                            break;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        // A call that reached the killed silo; the same id is sent again (signal ids are idempotent).
                    }

                    // No sleep: the gateway answers 503 only after its own retry deadline, and a retry waits until the
                    // membership table no longer lists a silo whose process is gone (at once when nothing was killed).
                    Interlocked.Increment(ref failures);
                    await Eventually.UntilAsync(
                        async () => await _database.ActiveSilosAsync(cluster.ClusterId) <= silos.Count(s => !s.HasExited),
                        Bound,
                        "membership to declare the killed silo dead before a retry");
                }
            }
        })));

        await Eventually.UntilAsync(() => acknowledged.Count >= 150, Bound, "the load to get going");
        var killed = Stopwatch.StartNew();
        victim.KillHard();
        var before = acknowledged.Count;
        await Eventually.UntilAsync(() => acknowledged.Count >= before + 150, Bound, "signals to be acknowledged again after the kill");
        var recovered = killed.Elapsed;

        // An operator engages the switch and retries while the gateway answers 503 (a grain still moving off the dead silo).
        var engage = Stopwatch.StartNew();
        HttpResponseMessage engaged;
        var attempts = 0;
        while (true)
        {
            attempts++;
            engaged = await admin.PutAsync($"/v1/tenants/{tenant}/kill-switches/all", Json("""{"engaged":true,"reason":"engaged under load"}"""));
            if (engaged.StatusCode != HttpStatusCode.ServiceUnavailable || engage.Elapsed > TimeSpan.FromSeconds(60))
            {
                break;
            }

            // The tenant grain sat on the killed silo: honour Retry-After until membership has moved it.
            await Task.Delay(engaged.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
        }
        var engageLatency = engage.Elapsed;
        var engagedAt = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, engaged.StatusCode);
        var afterEngage = acknowledged.Count;
        await Eventually.UntilAsync(() => acknowledged.Count >= afterEngage + 100, Bound, "the load to go on with the switch engaged");
        await stop.CancelAsync();
        await load;
        var elapsed = killed.Elapsed;

        Assert.True((await admin.GetAsync("/health/ready")).IsSuccessStatusCode);
        var verify = JsonDocument.Parse(await admin.GetStringAsync($"/v1/tenants/{tenant}/ledger/verify")).RootElement;
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());

        var entries = (await admin.GetStringAsync($"/v1/tenants/{tenant}/ledger/export"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var ledgered = entries.Where(e => e.GetProperty("type").GetString() == "SIGNAL_INGESTED")
            .SelectMany(e => e.GetProperty("payload").GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("id").GetString()!)).ToHashSet();
        Assert.Subset(ledgered, acknowledged.Keys.ToHashSet());

        var executed = entries.Where(e => e.GetProperty("type").GetString() == "ACTION_EXECUTED").Select(e => e.GetProperty("payload").GetProperty("action")).ToList();
        var ids = executed.Select(a => a.GetProperty("actionId").GetString()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var perAccount in executed.Where(a => a.GetProperty("autonomous").GetBoolean()).GroupBy(a => a.GetProperty("accountId").GetString()))
        {
            Assert.True(perAccount.Count() <= Budget, $"{perAccount.Key} ran {perAccount.Count()} autonomous actions with a budget of {Budget}");
        }

        var passedAfterEngage = entries.Where(e => e.GetProperty("type").GetString() == "KILL_SWITCH_CHECKED"
            && !e.GetProperty("payload").GetProperty("stopped").GetBoolean()
            && e.GetProperty("at").GetDateTimeOffset() > engagedAt).ToList();
        Assert.Empty(passedAfterEngage);

        output.WriteLine($"MEASURED process cluster: {acknowledged.Count} signals acknowledged through the gateway, {acknowledged.Count / elapsed.TotalSeconds:0} signals/s after the kill (4 sequential clients); gateway answering 202 again {recovered.TotalSeconds:0.0} s after SIGKILL of a silo; {failures} refused or failed attempts retried; kill switch engage took {engageLatency.TotalMilliseconds:0} ms under load ({attempts} attempt(s)); {executed.Count} executions, none after the engage returned.");
    }

    [Fact]
    public async Task OneAccountDrivenThroughTwoGatewaysAtOnceNeverExceedsItsBudget()
    {
        await using var cluster = new ProcessCluster(_database.ConnectionString);
        await cluster.StartSiloAsync("silo-1");
        await cluster.StartSiloAsync("silo-2");
        var gateways = new[] { await cluster.StartGatewayAsync("gateway-1"), await cluster.StartGatewayAsync("gateway-2") };
        var tenant = "t-two-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = gateways[0].Client(await ProcessCluster.MintAsync(tenant, "admin", "alice"));
        await SetUpAsync(admin, tenant, budget: 2);
        var token = await ProcessCluster.MintAsync(tenant, "ingest", "crm");
        var clients = gateways.Select(g => g.Client(token)).ToList();

        // Rounds of two signals fired at acc-0 at once, one through each gateway; each round closes its window.
        // Three rounds: at least three runs for a budget of two, at most six, the hourly cap.
        for (var round = 0; round < 3; round++)
        {
            var responses = await Task.WhenAll(clients.Select((client, g) => client.PostAsync(
                $"/v1/tenants/{tenant}/accounts/acc-0/signals", Json($$"""{"signals":[{"id":"c-{{round}}-{{g}}","type":"TEST_INSTANT","value":0.8}]}"""))));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
            await Eventually.UntilAsync(async () => (await AccountAsync(admin, tenant)).GetProperty("pendingRunDueAt").ValueKind == JsonValueKind.Null, Bound, "the round's run");
        }

        Assert.Equal(2, (await AccountAsync(admin, tenant)).GetProperty("budgetUse").GetProperty("used").GetInt32());
        var waiting = JsonDocument.Parse(await admin.GetStringAsync($"/v1/tenants/{tenant}/sellers/seller-1/needs-input?limit=100")).RootElement.GetProperty("items");
        Assert.Contains(waiting.EnumerateArray(), p => p.GetProperty("reason").GetString() == "BUDGET_EXHAUSTED");
        var timeline = JsonDocument.Parse(await admin.GetStringAsync($"/v1/tenants/{tenant}/sellers/seller-1/timeline?limit=100")).RootElement.GetProperty("items");
        Assert.Equal(2, timeline.EnumerateArray().Count(a => a.GetProperty("autonomous").GetBoolean()));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    private static async Task<JsonElement> AccountAsync(HttpClient admin, string tenant) =>
        JsonDocument.Parse(await admin.GetStringAsync($"/v1/tenants/{tenant}/accounts/acc-0")).RootElement;

    private static async Task SetUpAsync(HttpClient admin, string tenant, int budget = Budget)
    {
        var t = $"/v1/tenants/{tenant}";
        await Ok(admin.PutAsync($"{t}/autonomy/modes/CREATE_TASK", Json("""{"mode":"AUTO_EXECUTE"}""")));
        await Ok(admin.PutAsync($"{t}/autonomy/budget", Json($$$"""{"maxPerAccountPerDay":{{{budget}}},"maxPerActionTypePerDay":{}}""")));

        // Signal after signal on one account, each a run of its own: the tenant's gate lets runs follow at once.
        await Ok(admin.PutAsync($"{t}/cost-budget", Json("""{"decisionRunsPerDay":10000,"engineTokensPerDay":2000000,"pullsPerDay":50000,"minRunIntervalSeconds":0}""")));
        await Ok(admin.PutAsync($"{t}/playbook", Json("""
            {"rules":[{"when":{"signalType":"TEST_INSTANT"},"propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Follow up"},"confidence":0.9}]}],
             "triggers":[{"type":"TEST_INSTANT","debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}]}
            """)));
        for (var i = 0; i < Accounts; i++)
        {
            await Ok(admin.PutAsync($"{t}/accounts/acc-{i}", Json("""{"ownerId":"seller-1","lifecycle":"CUSTOMER"}""")));
        }
    }

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}

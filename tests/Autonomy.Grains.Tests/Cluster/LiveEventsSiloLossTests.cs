using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Autonomy.Tests.Cluster;

/// <summary>
/// The control center's live events across a silo loss: two silo processes and a gateway process on PostgreSQL, a
/// seller's page open on each of a few tenants (each tenant is a stream of its own, so its queue, its pulling agent and
/// its pub-sub grain sit on either silo), one silo SIGKILLed while signals go on being posted. A page never sits on a
/// silently dead stream: it goes on hearing the work done after the kill (on the same stream, or on the one it opened
/// again when the gateway told it to reload or ended its stream), and everything acknowledged is there when it reloads.
/// </summary>
public sealed partial class LiveEventsSiloLossTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    /// <summary>Longer than the gateway takes to retry a call across the loss.</summary>
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How often the load posts a signal (round robin over the tenants, each on a fresh account).</summary>
    private static readonly TimeSpan PostEvery = TimeSpan.FromMilliseconds(250);

    private const int Tenants = 4;

    /// <summary>The last posts of each tenant that its page must have heard once the load stops.</summary>
    private const int Tail = 3;

    /// <summary>The posts per tenant the load goes on for after the silo was declared dead.</summary>
    private const int AfterDeath = 20;

    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task OpenPagesGoOnHearingTheWorkDoneAfterASiloKillAndCatchUpFromTheApi()
    {
        await using var cluster = new ProcessCluster(_database.ConnectionString);
        await cluster.StartSiloAsync("silo-1");
        var victim = await cluster.StartSiloAsync("silo-2");
        var gateway = await cluster.StartGatewayAsync("gateway");
        var clock = Stopwatch.StartNew();
        var tenants = new List<Tenant>();
        for (var i = 0; i < Tenants; i++)
        {
            var id = $"t-live-{i}-" + Guid.NewGuid().ToString("N")[..6];
            var tenant = new Tenant(
                id,
                gateway.Client(await ProcessCluster.MintAsync(id, "admin", "alice"), ClientTimeout),
                gateway.Client(await ProcessCluster.MintAsync(id, "ingest", "crm"), ClientTimeout),
                new Page(gateway, await ProcessCluster.MintAsync(id, "seller", "seller-1"), $"/v1/tenants/{id}/sellers/seller-1/events", clock));
            await SetUpAsync(tenant.Admin, id);
            tenants.Add(tenant);
        }

        await Eventually.UntilAsync(() => tenants.All(t => t.Page.Connections >= 1), Bound, "every page to be connected");

        // One post at a time, round robin over the tenants, each signal on an account of its own: the page hears its run.
        var posts = new ConcurrentQueue<Post>();
        var refused = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            using var pace = new PeriodicTimer(PostEvery);
            for (var n = 0; await pace.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested; n++)
            {
                var tenant = tenants[n % Tenants];
                var account = $"acc-{n}";
                var sent = clock.Elapsed;
                try
                {
                    var created = await tenant.Ingest.PutAsync($"/v1/tenants/{tenant.Id}/accounts/{account}", Json("""{"ownerId":"seller-1","lifecycle":"CUSTOMER"}"""));
                    var posted = created.IsSuccessStatusCode
                        ? await tenant.Ingest.PostAsync($"/v1/tenants/{tenant.Id}/accounts/{account}/signals", Json($$"""{"signals":[{"id":"s-{{n}}","type":"TEST_INSTANT","value":0.8}]}"""))
                        : created;
                    if (posted.StatusCode == HttpStatusCode.Accepted)
                    {
                        posts.Enqueue(new Post(tenant, account, $"s-{n}", sent));
                    }
                    else
                    {
                        refused.Enqueue($"{tenant.Id}/{account}: {(int)posted.StatusCode} {await posted.Content.ReadAsStringAsync()}");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    refused.Enqueue($"{tenant.Id}/{account}: {ex.GetType().Name} {ex.Message}");
                }
            }
        });

        await Eventually.UntilAsync(() => tenants.All(t => posts.Any(p => p.Tenant == t && t.Page.HeardRunOf(p.Account))), Bound, "every page to hear a run before the kill");
        var killedAt = clock.Elapsed;
        victim.KillHard();
        await Eventually.UntilAsync(async () => await _database.DeadSilosAsync(cluster.ClusterId) >= 1, Bound, "membership to declare the killed silo dead");
        var deadAt = clock.Elapsed;

        // Every page is told to reload (events queued on the lost silo are gone), and hears the run of a signal posted
        // after the silo was declared dead: on its open stream, or on the one it opened again after the end of its stream.
        // A silently dead stream never does.
        try
        {
            await Eventually.UntilAsync(() => tenants.All(t => t.Page.Heard.Any(h => h.Kind == "resync" && h.At > killedAt)), Bound, "every page to be told to reload after the kill");
            await Eventually.UntilAsync(() => tenants.All(t => posts.Any(p => p.Tenant == t && p.Sent > deadAt && t.Page.HeardRunOf(p.Account))), Bound, "every page to hear work done after the silo was declared dead");
        }
        catch (TimeoutException)
        {
            Report(tenants, posts, killedAt, deadAt);
            throw;
        }

        // The load goes on well past the loss (the survivor takes over the killed silo's queues and grains meanwhile).
        await Eventually.UntilAsync(() => tenants.All(t => posts.Count(p => p.Tenant == t && p.Sent > deadAt) >= AfterDeath), Bound, $"{AfterDeath} posts per tenant after the silo was declared dead");
        await stop.CancelAsync();
        await load;
        Report(tenants, posts, killedAt, deadAt);

        // Past the loss, nothing is missed: the last posts of each tenant all reach its page.
        foreach (var tenant in tenants)
        {
            var tail = posts.Where(p => p.Tenant == tenant).TakeLast(Tail).ToList();
            await Eventually.UntilAsync(() => tail.All(p => tenant.Page.HeardRunOf(p.Account)), Bound, $"{tenant.Id}'s page to hear its last {Tail} runs");
        }

        // The page catches up from the API: every acknowledged signal is in the ledger, and once its account has run, its
        // action is on the seller's timeline, or in the seller's needs-input when the run could not read its tenant during
        // the loss (the kill switches then count as engaged: a human decides). A run the lost silo left pending runs when
        // its account is next activated (here: its account page is opened) or its reminder ticks.
        var pending = new List<string>();
        var held = new List<string>();
        foreach (var tenant in tenants)
        {
            var mine = posts.Where(p => p.Tenant == tenant).ToList();
            var ledgered = (await tenant.Admin.GetStringAsync($"/v1/tenants/{tenant.Id}/ledger/export"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(e => e.GetProperty("type").GetString() == "SIGNAL_INGESTED")
                .SelectMany(e => e.GetProperty("payload").GetProperty("signals").EnumerateArray().Select(x => x.GetProperty("id").GetString()!)).ToHashSet();
            Assert.Subset(ledgered, mine.Select(p => p.Signal).ToHashSet());

            var shown = await TimelineAsync(tenant);
            pending.AddRange(mine.Where(p => !shown.Contains(p.Account)).Select(p => $"{tenant.Id}/{p.Account}@{p.Sent.TotalSeconds:0.0}"));
            foreach (var post in mine.Where(p => !shown.Contains(p.Account)))
            {
                Assert.True((await tenant.Admin.GetAsync($"/v1/tenants/{tenant.Id}/accounts/{post.Account}")).IsSuccessStatusCode);
            }

            try
            {
                await Eventually.UntilAsync(async () => (await ShownAsync(tenant)).IsSupersetOf(mine.Select(p => p.Account)), Bound, $"{tenant.Id}'s timeline or needs-input to show every acknowledged signal's proposal");
                shown = await TimelineAsync(tenant);
                held.AddRange(mine.Where(p => !shown.Contains(p.Account)).Select(p => $"{tenant.Id}/{p.Account}"));
            }
            catch (TimeoutException)
            {
                var now = await ShownAsync(tenant);
                foreach (var post in mine.Where(p => !now.Contains(p.Account)))
                {
                    var entries = JsonDocument.Parse(await tenant.Admin.GetStringAsync($"/v1/tenants/{tenant.Id}/ledger?accountId={post.Account}&limit=100")).RootElement.GetProperty("items");
                    output.WriteLine($"{tenant.Id}/{post.Account} (sent at {post.Sent.TotalSeconds:0.0} s) not on the timeline; its ledger: {string.Join(", ", entries.EnumerateArray().Select(e => $"{e.GetProperty("type").GetString()}@{e.GetProperty("at").GetDateTimeOffset():HH:mm:ss.fff}"))}");
                }

                output.WriteLine($"timeline and needs-input: {string.Join(", ", now)}");
                foreach (var host in cluster.Hosts)
                {
                    output.WriteLine($"--- {host.Name}:\n{host.Log[^Math.Min(host.Log.Length, 6000)..]}");
                }

                throw;
            }
        }

        output.WriteLine($"MEASURED accounts not on the timeline at first look (their account page then opened): {pending.Count} ({string.Join(", ", pending)}); actions held in needs-input instead of executed: {held.Count} ({string.Join(", ", held)})");
        var resynced = tenants.Max(t => t.Page.Heard.First(h => h.Kind == "resync" && h.At > killedAt).At) - killedAt;
        var afterKill = posts.Where(p => p.Sent > killedAt).ToList();
        output.WriteLine($"MEASURED live events across a silo kill: declared dead {(deadAt - killedAt).TotalSeconds:0.0} s after SIGKILL; every page told to resync {resynced.TotalSeconds:0.0} s after it; "
            + $"{afterKill.Count(p => p.Tenant.Page.HeardRunOf(p.Account))} of {afterKill.Count} runs of signals posted after the kill heard on the open streams, {tenants.Sum(t => t.Page.Connections - 1)} reconnections.");
        output.WriteLine($"MEASURED refused posts: {refused.Count}{string.Concat(refused.Take(5).Select(r => "\n  " + r))}");
        foreach (var tenant in tenants)
        {
            await tenant.DisposeAsync();
        }
    }

    private void Report(List<Tenant> tenants, ConcurrentQueue<Post> posts, TimeSpan killedAt, TimeSpan deadAt)
    {
        output.WriteLine($"killed at {killedAt.TotalSeconds:0.0} s, declared dead at {deadAt.TotalSeconds:0.0} s, {posts.Count} posts acknowledged");
        foreach (var tenant in tenants)
        {
            var mine = posts.Where(p => p.Tenant == tenant).ToList();
            var heard = tenant.Page.Heard;
            var runs = heard.Where(h => h.Kind == "run").ToList();
            var firstAfter = mine.Where(p => p.Sent > killedAt).FirstOrDefault(p => tenant.Page.HeardRunOf(p.Account));
            output.WriteLine(
                $"{tenant.Id}: {mine.Count} posts ({mine.Count(p => p.Sent > killedAt)} after the kill), {runs.Count} runs heard "
                + $"({mine.Count(p => p.Sent > killedAt && tenant.Page.HeardRunOf(p.Account))} of those after the kill); connections {tenant.Page.Connections}; "
                + $"control: {string.Join(", ", heard.Where(h => h.Kind is not ("run" or "action" or "heartbeat" or "proposal" or "outcome")).Select(h => $"{h.Kind}@{h.At.TotalSeconds:0.0}"))}; "
                + $"first post after the kill heard: {(firstAfter is null ? "none" : $"{firstAfter.Account} sent at {firstAfter.Sent.TotalSeconds:0.0}")}; "
                + $"last run heard at {(runs.Count == 0 ? "-" : runs[^1].At.TotalSeconds.ToString("0.0"))}; "
                + $"not heard: {string.Join(", ", mine.Where(p => !tenant.Page.HeardRunOf(p.Account)).Select(p => $"{p.Account}@{p.Sent.TotalSeconds:0.0}"))}");
        }
    }

    private static async Task<HashSet<string>> TimelineAsync(Tenant tenant) =>
        JsonDocument.Parse(await tenant.Admin.GetStringAsync($"/v1/tenants/{tenant.Id}/sellers/seller-1/timeline?limit=500")).RootElement.GetProperty("items")
            .EnumerateArray().Select(a => a.GetProperty("accountId").GetString()!).ToHashSet();

    /// <summary>The accounts on the seller's timeline or in its needs-input.</summary>
    private static async Task<HashSet<string>> ShownAsync(Tenant tenant)
    {
        var shown = await TimelineAsync(tenant);
        shown.UnionWith(JsonDocument.Parse(await tenant.Admin.GetStringAsync($"/v1/tenants/{tenant.Id}/sellers/seller-1/needs-input?limit=500")).RootElement.GetProperty("items")
            .EnumerateArray().Select(p => p.GetProperty("accountId").GetString()!));
        return shown;
    }

    private static async Task SetUpAsync(HttpClient admin, string tenant)
    {
        var t = $"/v1/tenants/{tenant}";
        await Ok(admin.PutAsync($"{t}/autonomy/modes/CREATE_TASK", Json("""{"mode":"AUTO_EXECUTE"}""")));
        await Ok(admin.PutAsync($"{t}/cost-budget", Json("""{"decisionRunsPerDay":10000,"engineTokensPerDay":2000000,"pullsPerDay":50000,"minRunIntervalSeconds":0}""")));
        await Ok(admin.PutAsync($"{t}/playbook", Json("""
            {"rules":[{"when":{"signalType":"TEST_INSTANT"},"propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Follow up"},"confidence":0.9}]}],
             "triggers":[{"type":"TEST_INSTANT","debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}]}
            """)));
    }

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private sealed record Post(Tenant Tenant, string Account, string Signal, TimeSpan Sent);

    private sealed record Tenant(string Id, HttpClient Admin, HttpClient Ingest, Page Page) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Page.DisposeAsync();
            Admin.Dispose();
            Ingest.Dispose();
        }
    }
}

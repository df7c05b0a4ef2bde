using System.Collections.Immutable;
using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Connectors;
using Autonomy.Ledger;
using Autonomy.Perception;
using Autonomy.Tenants;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Connectors;

/// <summary>Pulls on the account's schedule: throttled per connector, budgeted per tenant, every decision ledgered, the data ingested.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PullTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;

    private static readonly PullBounds Minutes = new(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2));
    private static readonly PullCadence Fast = new(Minutes, Minutes, Minutes);

    private static ConnectorConfig Synthetic(string name, Throttle? throttle = null) =>
        new(name, ConnectorKind.Synthetic, true, null, null, null, TimeSpan.FromSeconds(5), ConnectorMapping.Default, Fast, throttle ?? Throttle.Default, 7, 0);

    private static ConnectorConfig Http(string name, string url, string secret) =>
        new(name, ConnectorKind.HttpJson, true, url, "X-Api-Key", secret, TimeSpan.FromSeconds(5),
            new ConnectorMapping("data.activity", "eventId", "kind", "score", "when", "info",
                ImmutableDictionary<string, string>.Empty.Add("reply", "EMAIL_REPLY_RECEIVED").Add("visit", "WEBSITE_VISIT"),
                ImmutableDictionary<string, string>.Empty.Add("intent", "$.data.scores.buyingIntent")),
            Fast, Throttle.Default, 0, 0);

    private async Task<Scenario> TenantAsync(ConnectorConfig connector, long pullsPerDay = 50_000, params string[] accounts)
    {
        var t = new Scenario(_cluster);
        await t.Tenant.SetCostBudgetAsync(CostBudget.Default with { PullsPerDay = pullsPerDay }, Scenario.Admin);
        await _cluster.Grains.GetGrain<ITenantConnectorsGrain>(t.TenantId).PutConnectorAsync(connector, keepSecret: false, Scenario.Admin);
        foreach (var account in accounts.Length == 0 ? ["acc-1"] : accounts)
        {
            await Account(t, account).UpsertAsync(new AccountUpdate("seller-1", "CUSTOMER", null, null), Scenario.Admin);
            await Account(t, account).PullAsync();
        }

        // Past every account's first due time (at most the tier's maximum after it was first planned).
        _cluster.Clock.Advance(TimeSpan.FromMinutes(3));
        return t;
    }

    private IAccountGrain Account(Scenario t, string accountId) => _cluster.Grains.GetGrain<IAccountGrain>($"{t.TenantId}/{accountId}");

    private static async Task<List<JsonElement>> PayloadsAsync(Scenario t, string type) =>
        [.. (await t.LedgerAsync(type: type)).Select(e => JsonDocument.Parse(e.Payload).RootElement)];

    /// <summary>
    /// An account of a tenant that pulls from nothing activates no pull grain (half the activations of a CRM feed's
    /// accounts); once the tenant configures a connector, the account's next tick wakes it.
    /// </summary>
    [Fact]
    public async Task AnAccountOfATenantWithoutConnectorsWakesNoPullGrainUntilOneIsConfigured()
    {
        var t = new Scenario(_cluster, accountId: "no-pulls");
        await t.Account.IngestSignalsAsync([new SignalInput("v-1", "WEBSITE_VISIT", null, 0.2, null)], Scenario.Ingest);
        await t.Account.IngestSignalsAsync([new SignalInput("v-2", "WEBSITE_VISIT", null, 0.2, null)], Scenario.Ingest);
        var pull = GrainId.Create(GrainType.Create("autonomy.pull"), $"{t.TenantId}/no-pulls");
        Assert.DoesNotContain(pull, await ActivePullsAsync());

        await _cluster.Grains.GetGrain<ITenantConnectorsGrain>(t.TenantId).PutConnectorAsync(Synthetic("crm"), keepSecret: false, Scenario.Admin);
        await Eventually.UntilAsync(async () => (await ActivePullsAsync()).Contains(pull), TimeSpan.FromSeconds(30), "a tick wakes the pull grain once the tenant has a connector");
    }

    private ValueTask<List<GrainId>> ActivePullsAsync() => _cluster.Grains.GetGrain<IManagementGrain>(0).GetActiveGrains(GrainType.Create("autonomy.pull"));

    [Fact]
    public async Task APulledAnswerBecomesSignalsAndPostureThroughTheIngestPath()
    {
        await using var source = await ActivitySource.StartAsync();
        var t = await TenantAsync(Http("crm", source.Url, "s3cr3t-key"));

        await t.Account.PullAsync();
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.PullCompleted)).Length > 0, TimeSpan.FromSeconds(20), "the pull completed");

        var ingested = (await t.LedgerAsync(type: LedgerTypes.SignalIngested)).Single(e => e.Actor == "connector/crm");
        var signals = JsonDocument.Parse(ingested.Payload).RootElement.GetProperty("signals").EnumerateArray().ToList();
        Assert.Equal(["crm.e-1", "crm.e-2"], signals.Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(["EMAIL_REPLY_RECEIVED", "WEBSITE_VISIT"], signals.Select(s => s.GetProperty("type").GetString()));
        var completed = (await PayloadsAsync(t, LedgerTypes.PullCompleted)).Single();
        Assert.Equal(2, completed.GetProperty("accepted").GetInt32());
        Assert.Equal(1, completed.GetProperty("dropped").GetInt32());
        Assert.True(completed.GetProperty("postureChanged").GetBoolean());
        Assert.True(completed.GetProperty("fresh").GetBoolean());
        Assert.Contains("s3cr3t-key", source.AuthHeaders);

        var view = await t.Account.GetAsync();
        Assert.Equal(0.9, JsonDocument.Parse(view.Posture!).RootElement.GetProperty("intent").GetDouble());
        Assert.True(view.Heat > 0);

        // The same answer again: nothing new, so the signals are duplicates and the pull is empty.
        _cluster.Clock.Advance(TimeSpan.FromMinutes(3));
        await t.Account.PullAsync();
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.PullCompleted)).Length > 1, TimeSpan.FromSeconds(20), "the second pull completed");
        var second = (await PayloadsAsync(t, LedgerTypes.PullCompleted))[1];
        Assert.Equal(0, second.GetProperty("accepted").GetInt32());
        Assert.Equal(2, second.GetProperty("duplicates").GetInt32());
        Assert.False(second.GetProperty("fresh").GetBoolean());
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.SignalIngested), e => e.Actor == "connector/crm");
        Assert.DoesNotContain(await t.LedgerAsync(), e => e.Payload.Contains("s3cr3t-key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoConnectorIsCalledBeforeItsPullIsLedgered()
    {
        await using var source = await ActivitySource.StartAsync();
        var t = await TenantAsync(Http("crm", source.Url, "k"));
        var calls = source.AuthHeaders.Count;
        _cluster.Hooks.LedgerRefuses[t.TenantId] = LedgerTypes.PullScheduled;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => t.Account.PullAsync());

            Assert.Equal(calls, source.AuthHeaders.Count);
            Assert.Contains(LedgerTypes.PullScheduled, _cluster.Hooks.Attempted[t.TenantId]);
        }
        finally
        {
            _cluster.Hooks.LedgerRefuses.TryRemove(t.TenantId, out _);
        }
    }

    [Fact]
    public async Task OneTurnCallsOneConnectorSoTheTurnEndsWhateverTheNumberOfConnectors()
    {
        await using var source = await HeldSource.StartAsync();
        var t = await TenantAsync(Http("crm-a", source.Url, "k"));
        await _cluster.Grains.GetGrain<ITenantConnectorsGrain>(t.TenantId).PutConnectorAsync(Http("crm-b", source.Url, "k"), keepSecret: false, Scenario.Admin);
        await t.Account.PullAsync();
        _cluster.Clock.Advance(TimeSpan.FromMinutes(3));
        var before = (await t.LedgerAsync(type: LedgerTypes.PullCompleted)).Length;

        // Both connectors are due (past their 2-minute maximum). The call ends once the first connector answers,
        // while the second is not even called: a turn that called both would not end before the second answered.
        source.Hold();
        var pulling = t.Account.PullAsync();
        await Eventually.UntilAsync(() => Task.FromResult(source.Held == 1), TimeSpan.FromSeconds(20), "the first due connector was called");
        source.Release(0);
        await pulling.WaitAsync(TimeSpan.FromSeconds(20));

        // The other due connector is pulled in a turn of its own, at once.
        await Eventually.UntilAsync(() => Task.FromResult(source.Held == 2), TimeSpan.FromSeconds(20), "the second due connector was called");
        source.Release(1);
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.PullCompleted)).Length == before + 2, TimeSpan.FromSeconds(20), "both pulls completed");
        Assert.Equal(["crm-a", "crm-b"], (await PayloadsAsync(t, LedgerTypes.PullCompleted)).Skip(before).Select(p => p.GetProperty("connector").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TheAccountIngestsAndAnswersWhileItsConnectorIsCalled()
    {
        await using var source = await HeldSource.StartAsync();
        var t = await TenantAsync(Http("crm", source.Url, "k"));

        // The connector is called in the pull grain's turn: the account's ingest and reads go on while it holds.
        source.Hold();
        var pulling = t.Account.PullAsync();
        await Eventually.UntilAsync(() => source.Held == 1, TimeSpan.FromSeconds(20), "the connector was called");
        var ingested = await t.Account.IngestSignalsAsync([new SignalInput("pushed-during-pull", Scenario.Instant, null, 0.4, null)], Scenario.Ingest).WaitAsync(TimeSpan.FromSeconds(10));
        var view = await t.Account.GetAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, ingested.Accepted);
        Assert.False(pulling.IsCompleted);
        Assert.Equal(PullOutcome.None, view.Pulls.Single().LastOutcome);
        source.Release(0);
        await pulling.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.PullCompleted));
    }

    [Fact]
    public async Task AThrottledPullIsDeferredAndLedgeredWithItsRetryTime()
    {
        var t = await TenantAsync(Synthetic("demo", Throttle.PerMinute(burst: 1, perMinute: 1)), accounts: ["acc-1", "acc-2"]);

        await Account(t, "acc-1").PullAsync();
        await Account(t, "acc-2").PullAsync();
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.PullDeferred)).Length > 0, TimeSpan.FromSeconds(20), "a pull was deferred");

        var deferred = (await PayloadsAsync(t, LedgerTypes.PullDeferred)).First();
        Assert.Equal("THROTTLED", deferred.GetProperty("reason").GetString());
        Assert.True(deferred.GetProperty("retryAt").GetDateTimeOffset() > _cluster.Clock.GetUtcNow());
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.PullCompleted));
        var entry = (await t.LedgerAsync(type: LedgerTypes.PullDeferred)).First();
        Assert.Contains(await t.LedgerAsync(runId: entry.RunId), e => e.Type == LedgerTypes.PullScheduled);

        var views = new[] { await Account(t, "acc-1").GetAsync(), await Account(t, "acc-2").GetAsync() };
        var held = Assert.Single(views, v => v.Pulls.Single().LastOutcome == PullOutcome.Deferred).Pulls.Single();
        Assert.True(held.NextPullAt >= deferred.GetProperty("retryAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task AnExhaustedPullBudgetSkipsThePullUntilMidnightAndIsLedgered()
    {
        var t = await TenantAsync(Synthetic("demo"), pullsPerDay: 1, "acc-1", "acc-2");

        await Account(t, "acc-1").PullAsync();
        await Account(t, "acc-2").PullAsync();
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.PullSkipped)).Length > 0, TimeSpan.FromSeconds(20), "a pull was skipped");

        var skipped = (await PayloadsAsync(t, LedgerTypes.PullSkipped)).First();
        Assert.Equal("BUDGET_EXHAUSTED", skipped.GetProperty("reason").GetString());
        Assert.Equal(1, skipped.GetProperty("perDay").GetInt64());
        Assert.Equal(1, skipped.GetProperty("usedToday").GetInt64());
        Assert.True(skipped.GetProperty("retryAt").GetDateTimeOffset() >= DailyQuota.NextMidnight(_cluster.Clock.GetUtcNow()));
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.PullCompleted));
        Assert.Equal(1, await _cluster.Grains.GetGrain<IPullCounterGrain>(t.TenantId).GetUsedTodayAsync());
    }

    [Fact]
    public async Task TheAccountViewShowsThePullCadenceAndTheNextPull()
    {
        var t = await TenantAsync(Synthetic("demo"));

        await t.Account.PullAsync();
        await Eventually.UntilAsync(async () => (await t.Account.GetAsync()).Pulls.Single().LastPullAt is not null, TimeSpan.FromSeconds(20), "the pull is on the view");

        var pull = (await t.Account.GetAsync()).Pulls.Single();
        Assert.Equal("demo", pull.Connector);
        Assert.InRange(pull.Interval, Minutes.Min, Minutes.Max);
        Assert.Equal(pull.LastPullAt!.Value + pull.Interval, pull.NextPullAt);
        Assert.Contains(pull.LastOutcome, new[] { PullOutcome.Fresh, PullOutcome.Empty });
    }

    [Fact]
    public async Task AFailingConnectorIsLedgeredAsFailedAndBacksOff()
    {
        await using var source = await ActivitySource.StartAsync();
        source.Status = 404;
        var t = await TenantAsync(Http("crm", source.Url, "k"));

        await t.Account.PullAsync();
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.PullFailed)).Length > 0, TimeSpan.FromSeconds(20), "the pull failed");

        var failed = (await PayloadsAsync(t, LedgerTypes.PullFailed)).First();
        Assert.Equal("HTTP_ERROR", failed.GetProperty("reason").GetString());
        Assert.Equal(1, failed.GetProperty("failures").GetInt32());
        Assert.True(failed.GetProperty("retryAt").GetDateTimeOffset() >= _cluster.Clock.GetUtcNow() + Minutes.Min);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.PullCompleted));
        Assert.Equal(PullOutcome.Failed, (await t.Account.GetAsync()).Pulls.Single().LastOutcome);
    }

    [Fact]
    public async Task TheThrottleGrantsExactlyWhatTheBucketHoldsToConcurrentCallers()
    {
        var throttle = _cluster.Grains.GetGrain<IConnectorThrottleGrain>($"t-{Guid.NewGuid():N}/crm");
        var limit = Throttle.PerMinute(burst: 25, perMinute: 60);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => throttle.TakeAsync(limit)));

        Assert.Equal(25, decisions.Count(d => d.Granted));
        Assert.All(decisions.Where(d => !d.Granted), d => Assert.Equal(_cluster.Clock.GetUtcNow().AddSeconds(1), d.RetryAt));
        _cluster.Clock.Advance(TimeSpan.FromSeconds(1));
        var later = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => throttle.TakeAsync(limit)));
        Assert.Equal(1, later.Count(d => d.Granted));
    }

    [Fact]
    public async Task AConnectorsSecretIsNeverShownNorLedgered()
    {
        var t = new Scenario(_cluster);
        var connectors = _cluster.Grains.GetGrain<ITenantConnectorsGrain>(t.TenantId);

        var view = await connectors.PutConnectorAsync(Http("crm", "https://crm.example.com/{accountId}", "top-secret-1"), keepSecret: false, Scenario.Admin);
        var kept = await connectors.PutConnectorAsync(Http("crm", "https://crm.example.com/v2/{accountId}", null!), keepSecret: true, Scenario.Admin);

        Assert.True(view.SecretSet);
        Assert.True(kept.SecretSet);
        Assert.Equal("top-secret-1", (await connectors.GetPullConfigAsync()).Connectors.Single().Secret);
        var changes = await t.LedgerAsync(type: LedgerTypes.ConfigChanged);
        Assert.Equal(2, changes.Length);
        Assert.All(changes, c => Assert.DoesNotContain("top-secret-1", c.Payload, StringComparison.Ordinal));
        Assert.True(JsonDocument.Parse(changes[0].Payload).RootElement.GetProperty("after").GetProperty("secretChanged").GetBoolean());
        Assert.False(JsonDocument.Parse(changes[1].Payload).RootElement.GetProperty("after").GetProperty("secretChanged").GetBoolean());
        Assert.Equal("connector:crm", JsonDocument.Parse(changes[1].Payload).RootElement.GetProperty("kind").GetString());
    }
}

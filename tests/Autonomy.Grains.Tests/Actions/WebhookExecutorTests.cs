using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Actions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Autonomy.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autonomy.Tests.Actions;

/// <summary>A receiver on loopback that fails the first delivery of each key, then records what it accepted.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<(string? Key, JsonNode? Body)> Received { get; } = new();

    public ConcurrentDictionary<string, int> Attempts { get; } = new();

    /// <summary>How many attempts of each key are answered 503 (besides the first, with <c>failFirstAttempt</c>).</summary>
    public int FailFirst { get; set; }

    /// <summary>The Standard Webhooks headers and the raw body of every accepted delivery.</summary>
    public ConcurrentQueue<SignedDelivery> Signed { get; } = new();

    /// <summary>Runs when a key's first attempt arrives, before it is failed (with <c>failFirstAttempt</c>).</summary>
    public Func<Task>? OnFirstAttempt { get; set; }

    public string Url => _app.Address() + "/hook";

    public static async Task<WebhookReceiver> StartAsync(bool failFirstAttempt)
    {
        var app = LoopbackApp.Create();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            var key = request.Headers["Idempotency-Key"].ToString();
            var attempt = receiver.Attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
            if ((failFirstAttempt && attempt == 1) || attempt <= receiver.FailFirst)
            {
                if (receiver.OnFirstAttempt is { } onFirst)
                {
                    await onFirst();
                }

                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            using var raw = new MemoryStream();
            await request.Body.CopyToAsync(raw);
            receiver.Signed.Enqueue(new SignedDelivery(
                request.Headers[WebhookSignature.IdHeader].ToString(), request.Headers[WebhookSignature.TimestampHeader].ToString(),
                request.Headers[WebhookSignature.SignatureHeader].ToString(), raw.ToArray()));
            receiver.Received.Enqueue((key, JsonNode.Parse(raw.ToArray())));
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>What a receiver checks a signature with: the headers and the body exactly as received.</summary>
public sealed record SignedDelivery(string Id, string Timestamp, string Signature, byte[] Body)
{
    public bool VerifiesWith(string secret) => WebhookSignature.Verify(secret, Id, Timestamp, Body, Signature, DateTimeOffset.UtcNow);
}

/// <summary>Two fixed signing secrets (as during a rotation), for tests without a tenant grain.</summary>
public sealed class FixedSigningSecrets : IWebhookSigningSecrets
{
    public const string Current = "whsec_MfKQ9r8GKYqrTywnW5YhfB0NfIrI3Fp2sBbe8wi8Z9E=";
    public const string Previous = "whsec_c2VjcmV0LXByZXZpb3VzLTAxMjM0NTY3ODlhYmNkZWY=";

    public Task<ImmutableArray<string>> SigningAsync(string tenantId) => Task.FromResult(ImmutableArray.Create(Current, Previous));
}

public sealed class WebhookExecutorTests
{
    /// <summary>The webhook client as the silo registers it, allowed to reach the receiver on loopback, signing with <see cref="FixedSigningSecrets"/>.</summary>
    internal static ServiceProvider LoopbackWebhooks(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Autonomy:Webhooks:AllowPrivateNetworks"] = "true" }; // the receiver listens on loopback
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IWebhookSigningSecrets>(new FixedSigningSecrets());
        services.AddWebhookClient(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        return services.BuildServiceProvider();
    }

    internal static WebhookExecutor Executor(ServiceProvider provider) => new(provider.GetRequiredService<SignedWebhook>(), NullLogger<WebhookExecutor>.Instance);

    [Fact]
    public async Task DeliveryIsRetriedWithTheSameIdempotencyKey()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirstAttempt: true);
        await using var provider = LoopbackWebhooks();
        var executor = Executor(provider);

        var result = await executor.ExecuteAsync(new ExecutionRequest("a.key.1", "t1", "acc-1", "SEND_EMAIL", """{"template":"x"}""", "run_1", false, receiver.Url));

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(2, receiver.Attempts["a.key.1"]);
        var (key, body) = Assert.Single(receiver.Received);
        Assert.Equal("a.key.1", key);
        Assert.Equal("SEND_EMAIL", (string?)body!["actionType"]);
        Assert.Equal("x", (string?)body["parameters"]!["template"]);
        var signed = Assert.Single(receiver.Signed);
        Assert.Equal("a.key.1", signed.Id);
        Assert.True(signed.VerifiesWith(FixedSigningSecrets.Current) && signed.VerifiesWith(FixedSigningSecrets.Previous), signed.Signature);
        Assert.False(signed.VerifiesWith("whsec_" + Convert.ToBase64String(new byte[32])));
    }

    [Fact]
    public async Task ARetryGoesOutOnlyWhileTheCallerStillAllowsIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirstAttempt: true);
        await using var provider = LoopbackWebhooks();
        var executor = Executor(provider);
        var asked = 0;

        var refused = await executor.ExecuteAsync(
            new ExecutionRequest("a.key.3", "t1", "acc-1", "SEND_EMAIL", "{}", "run_1", false, receiver.Url),
            _ => Task.FromResult(Interlocked.Increment(ref asked) < 0));
        var allowed = await executor.ExecuteAsync(
            new ExecutionRequest("a.key.4", "t1", "acc-1", "SEND_EMAIL", "{}", "run_1", false, receiver.Url),
            _ => Task.FromResult(true));

        Assert.False(refused.Succeeded);
        Assert.Contains("not retried", refused.Detail, StringComparison.Ordinal);
        Assert.Equal((1, 1), (receiver.Attempts["a.key.3"], asked));
        Assert.True(allowed.Succeeded, allowed.Detail);
        Assert.Equal(2, receiver.Attempts["a.key.4"]);
        Assert.Equal("a.key.4", Assert.Single(receiver.Received).Key);
    }

    [Fact]
    public async Task AnUnreachableWebhookIsAFailedResultNotAnException()
    {
        await using var provider = LoopbackWebhooks();
        var executor = Executor(provider);

        var result = await executor.ExecuteAsync(new ExecutionRequest("a.key.2", "t1", "acc-1", "SEND_EMAIL", "{}", "run_1", false, "http://127.0.0.1:1/hook"));

        Assert.False(result.Succeeded);
    }
}

[Collection(ClusterCollection.Name)]
public sealed class WebhookDeliveryTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AnApprovedExternalActionIsDeliveredToTheTenantsWebhookOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirstAttempt: false);
        var t = new Scenario(fixture.Cluster);
        await t.SetUpAsync(("SEND_EMAIL", AutonomyModeV1.ApprovalRequired));
        await t.Tenant.SetExecutorAsync(new ExecutorSettings(receiver.Url, []), Scenario.Admin);
        var signing = fixture.Cluster.Grains.GetGrain<ITenantWebhookSigningGrain>(t.TenantId);
        var first = (await signing.RotateWebhookSigningSecretAsync(null, Scenario.Admin)).Secret!;
        var second = (await signing.RotateWebhookSigningSecretAsync(null, Scenario.Admin)).Secret!;
        await t.SignalAsync();
        var proposal = (await t.NeedsInputAsync()).Single(p => p.ActionType == "SEND_EMAIL");

        var action = await t.Account.ApproveAsync(proposal.ProposalId, proposal.ArgsDigest, t.SellerActor);
        var again = await t.Account.ApproveAsync(proposal.ProposalId, proposal.ArgsDigest, t.SellerActor);

        Assert.Equal(action.ActionId, again.ActionId);
        var (key, body) = Assert.Single(receiver.Received);
        Assert.Equal(action.ActionId, key);

        // Signed with the tenant's secrets: during a rotation the new and the previous one both verify.
        var signed = Assert.Single(receiver.Signed);
        Assert.Equal(action.ActionId, signed.Id);
        Assert.True(signed.VerifiesWith(second) && signed.VerifiesWith(first), signed.Signature);
        await signing.RemovePreviousWebhookSigningSecretAsync(Scenario.Admin);
        Assert.Equal(new[] { second }, (await signing.GetWebhookSigningSecretsAsync()).ToArray());
        Assert.Equal(t.AccountId, (string?)body!["accountId"]);
        Assert.Empty((await t.Workspace.GetAsync()).Items);
    }

    [Fact]
    public async Task AKillSwitchEngagedBetweenAttemptsStopsTheWebhooksRetry()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirstAttempt: true);
        var t = new Scenario(fixture.Cluster);
        await t.SetUpAsync(("SEND_EMAIL", AutonomyModeV1.ApprovalRequired));
        await t.Tenant.SetExecutorAsync(new ExecutorSettings(receiver.Url, []), Scenario.Admin);
        await t.SignalAsync();
        var proposal = (await t.NeedsInputAsync()).Single(p => p.ActionType == "SEND_EMAIL");
        receiver.OnFirstAttempt = () => t.Tenant.SetKillSwitchAsync("SEND_EMAIL", engaged: true, "engaged mid-delivery", Scenario.Admin);

        var action = await t.Account.ApproveAsync(proposal.ProposalId, proposal.ArgsDigest, t.SellerActor);

        Assert.Equal(Autonomy.Accounts.ActionStatus.Failed, action.Status);
        Assert.Equal(1, receiver.Attempts[action.ActionId]);
        Assert.Empty(receiver.Received);
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionFailed));
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
    }
}

[Collection(ClusterCollection.Name)]
public sealed class DigestDeliveryTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TheDailyDigestIsDeliveredToTheSellersWebhookOncePerDay()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirstAttempt: false);
        var t = new Scenario(fixture.Cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.SignalAsync();
        await t.Seller.SetDigestSettingsAsync(new DigestSettings(true, new TimeOnly(7, 0), "UTC", receiver.Url), t.SellerActor);

        var clock = fixture.Cluster.Clock;
        var now = clock.GetUtcNow();
        clock.Advance(new DateTimeOffset(DateOnly.FromDateTime(now.UtcDateTime).AddDays(1).ToDateTime(new TimeOnly(7, 10)), TimeSpan.Zero) - now);
        await Eventually.UntilAsync(() => Task.FromResult(!receiver.Received.IsEmpty), TimeSpan.FromSeconds(30), "the digest to arrive");
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.DigestDelivered)).Length == 1, TimeSpan.FromSeconds(10), "the delivery to be ledgered");

        clock.Advance(TimeSpan.FromMinutes(30));
        var (key, body) = Assert.Single(receiver.Received);
        Assert.StartsWith($"digest:{t.TenantId}:{t.SellerId}:", key, StringComparison.Ordinal);
        Assert.Equal(t.SellerId, (string?)body!["sellerId"]);
        Assert.Equal(1, (int)body["digest"]!["autonomousActions"]!);
        Assert.Equal("Prepare renewal", (string?)body["digest"]!["done"]![0]!["parameters"]!["title"]);
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.DigestDelivered));
    }
}

[Collection(ClusterCollection.Name)]
public sealed class DigestLedgerFirstTests(ClusterFixture fixture)
{
    [Fact]
    public async Task NoDigestIsSentBeforeItsDeliveryIsLedgered()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirstAttempt: false);
        var t = new Scenario(fixture.Cluster);
        await t.SetUpAsync();
        await t.Seller.SetDigestSettingsAsync(new DigestSettings(true, new TimeOnly(7, 0), "UTC", receiver.Url), t.SellerActor);
        var hooks = fixture.Cluster.Hooks;
        hooks.LedgerDown[t.TenantId] = true;
        try
        {
            var clock = fixture.Cluster.Clock;
            var now = clock.GetUtcNow();
            clock.Advance(new DateTimeOffset(DateOnly.FromDateTime(now.UtcDateTime).AddDays(1).ToDateTime(new TimeOnly(7, 10)), TimeSpan.Zero) - now);
            await Eventually.UntilAsync(
                () => Task.FromResult(hooks.Attempted.TryGetValue(t.TenantId, out var types) && types.Contains(LedgerTypes.DigestDelivering)),
                TimeSpan.FromSeconds(30),
                "the digest's delivery to be attempted");
            Assert.Empty(receiver.Received);
        }
        finally
        {
            hooks.LedgerDown.TryRemove(t.TenantId, out _);
        }

        await Eventually.UntilAsync(() => Task.FromResult(!receiver.Received.IsEmpty), TimeSpan.FromSeconds(30), "the digest once the ledger is back");
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.DigestDelivered)).Length == 1, TimeSpan.FromSeconds(10), "the delivery to be ledgered");
        var steps = (await t.LedgerAsync()).Where(e => e.Type is LedgerTypes.DigestDelivering or LedgerTypes.DigestDelivered).Select(e => e.Type).ToList();
        Assert.Equal([LedgerTypes.DigestDelivering, LedgerTypes.DigestDelivered], steps);
        Assert.Single(receiver.Received);
    }
}

using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using Autonomy.Actions;
using Autonomy.Connectors;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Perception;
using Autonomy.Tests.Support;
using Autonomy.Triggers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Autonomy.Tests.Actions;

/// <summary>
/// A receiver on loopback that misbehaves in every way a call must survive, under any path prefix (so a chat client's
/// <c>.../chat/completions</c> lands there too): <c>/redirect</c> answers 302 to <c>/ok</c>, <c>/big</c> 2 MB with its
/// length announced, <c>/big-chunked</c> 2 MB without, <c>/drip</c> 200 at once and then one byte every 50 ms forever.
/// </summary>
public sealed class MisbehavingReceiver : IAsyncDisposable
{
    public const int BigBytes = 2 * 1024 * 1024;

    private readonly WebApplication _app;
    private int _okHits;

    private MisbehavingReceiver(WebApplication app) => _app = app;

    public string Address => _app.Address();

    /// <summary>Requests that reached <c>/ok</c> (a followed redirect would).</summary>
    public int OkHits => Volatile.Read(ref _okHits);

    public static async Task<MisbehavingReceiver> StartAsync()
    {
        // No minimum response data rate: Kestrel would otherwise end the dripping answer itself after its grace period.
        var app = LoopbackApp.Create(builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Critical);
            builder.WebHost.ConfigureKestrel(k => k.Limits.MinResponseDataRate = null);
        });
        var receiver = new MisbehavingReceiver(app);
        app.Map("/ok/{**rest}", () =>
        {
            Interlocked.Increment(ref receiver._okHits);
            return Results.Ok();
        });
        app.Map("/redirect/{**rest}", () => Results.Redirect("/ok/followed"));
        app.Map("/big/{**rest}", () => Results.Bytes(new byte[BigBytes], "application/json"));
        app.Map("/big-chunked/{**rest}", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            var chunk = new byte[64 * 1024];
            for (var sent = 0; sent < BigBytes; sent += chunk.Length)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
        });
        app.Map("/drip/{**rest}", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(context.RequestAborted);
            try
            {
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync("{"u8.ToArray(), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(50, context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // The caller gave up, as it must.
            }
        });
        await app.StartAsync();
        return receiver;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>
/// Every outgoing call (executor webhook, checkpoint anchor, connector, chat engine) ends within its total timeout and
/// never follows a redirect, whatever the receiver does: a redirect, 2 MB, a body that drips forever. The bound asserted
/// is a generous multiple of the configured timeout; nothing sleeps.
/// </summary>
public sealed class OutgoingCallBoundsTests : IAsyncLifetime
{
    private static readonly TimeSpan Total = TimeSpan.FromSeconds(2);

    /// <summary>Far below the 100 s a default HttpClient would wait, and far above the configured 2 s: slack for a loaded machine.</summary>
    private static readonly TimeSpan Bound = 6 * Total;

    private MisbehavingReceiver _receiver = null!;
    private ServiceProvider _webhooks = null!;

    public async Task InitializeAsync()
    {
        _receiver = await MisbehavingReceiver.StartAsync();
        _webhooks = WebhookExecutorTests.LoopbackWebhooks(
            ("Autonomy:Webhooks:TotalTimeout", "00:00:02"), ("Autonomy:Webhooks:AttemptTimeout", "00:00:01"), ("Autonomy:Webhooks:MaxRetries", "1"));
    }

    public async Task DisposeAsync()
    {
        await _webhooks.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Theory]
    [InlineData("redirect", "redirect")]
    [InlineData("big", "larger than")]
    [InlineData("big-chunked", "larger than")]
    [InlineData("drip", "no complete answer within 2 s")]
    public async Task AnExecutorWebhookFailsInTimeWithAClearReason(string behaviour, string reason)
    {
        var executor = WebhookExecutorTests.Executor(_webhooks);
        var clock = Stopwatch.StartNew();

        var result = await executor.ExecuteAsync(new ExecutionRequest($"key-{behaviour}", "t1", "acc-1", "SEND_EMAIL", "{}", "run_1", false, $"{_receiver.Address}/{behaviour}/hook"));

        Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed}");
        Assert.False(result.Succeeded);
        Assert.Contains(reason, result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _receiver.OkHits);
    }

    [Theory]
    [InlineData("redirect")]
    [InlineData("big")]
    [InlineData("drip")]
    public async Task ACheckpointAnchorFailsInTimeAndStaysQueued(string behaviour)
    {
        var health = new LedgerAnchorHealth();
        var anchor = new LedgerCheckpointAnchor(_webhooks.GetRequiredService<SignedWebhook>(), health, NullLogger<LedgerCheckpointAnchor>.Instance);
        var queue = new LedgerAnchorQueue("t1", TimeProvider.System);
        queue.Add(Checkpoint("t1"));
        var clock = Stopwatch.StartNew();

        var delivered = await anchor.DeliverAsync($"{_receiver.Address}/{behaviour}/anchor", queue, CancellationToken.None);

        Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed}");
        Assert.False(delivered);
        Assert.Equal(1, queue.Count);
        Assert.Equal(1, health.Snapshot().Tenants);
        Assert.Equal(0, _receiver.OkHits);
    }

    [Theory]
    [InlineData("redirect")]
    [InlineData("big")]
    [InlineData("big-chunked")]
    [InlineData("drip")]
    public async Task AConnectorPullFailsInTime(string behaviour)
    {
        var services = new ServiceCollection();
        services.AddWebhookClient(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autonomy:Webhooks:AllowPrivateNetworks"] = "true",
            ["Autonomy:Webhooks:TotalTimeout"] = "00:00:02",
            ["Autonomy:Webhooks:AttemptTimeout"] = "00:00:01",
        }).Build());
        services.AddConnectors();
        await using var provider = services.BuildServiceProvider();
        var connector = provider.GetRequiredService<HttpJsonConnector>();
        var config = new ConnectorConfig(
            "crm", ConnectorKind.HttpJson, true, $"{_receiver.Address}/{behaviour}/{{accountId}}", null, null, TimeSpan.FromSeconds(30),
            ConnectorMapping.Default, PullCadence.Default, Throttle.Default, 1, 1);
        var clock = Stopwatch.StartNew();

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => connector.PullAsync(config, new PullRequest("t1", "acc-1", null, DateTimeOffset.UtcNow), CancellationToken.None));

        Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed}");
        // The connector's own timeout (here the same 2 s) may fire first: a cancellation the pull ledgers as TIMEOUT.
        Assert.True(failure is OutgoingCallException or OperationCanceledException, failure.ToString());
        Assert.Equal(0, _receiver.OkHits);
    }

    [Theory]
    [InlineData("redirect", ChatCallResult.Failed)]
    [InlineData("big", ChatCallResult.Failed)]
    [InlineData("drip", ChatCallResult.Timeout)]
    public async Task AChatCallFailsInTime(string behaviour, ChatCallResult expected)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddChatEngine(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autonomy:Chat:AllowPrivateNetworks"] = "true",
            ["Autonomy:Chat:TotalTimeout"] = "00:00:02",
            ["Autonomy:Chat:MaxRetries"] = "0",
        }).Build());
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<ChatEngine>();
        var settings = new ChatSettings($"{_receiver.Address}/{behaviour}/v1", "m", "sk-test", 64, 0, 0);
        var context = new DecisionContext("t1", "acc-1", "run_1", "TEST", [], "CUSTOMER", "{}", 1, Playbook.Empty);
        var clock = Stopwatch.StartNew();

        var outcome = await engine.CallAsync(engine.Prepare(context, settings, ActionCatalog.BuiltIns), settings);

        Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed}");
        Assert.Equal(expected, outcome.Result);
        Assert.Null(outcome.Decision);
        Assert.Equal(0, _receiver.OkHits);
    }

    private static LedgerCheckpoint Checkpoint(string tenantId) =>
        LedgerCheckpoints.Create(tenantId, 1, DateTimeOffset.UtcNow, [], 0, LedgerCheckpoints.EmptyRoot, LedgerHash.Genesis, TestCheckpointKey);

    private static readonly LedgerCheckpointKey TestCheckpointKey = LedgerCheckpointEcdsaKey.Generate();
}

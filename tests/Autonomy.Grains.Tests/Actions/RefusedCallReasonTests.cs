using System.Net;
using Autonomy.Actions;
using Autonomy.Connectors;
using Autonomy.Decisions;
using Autonomy.Perception;
using Autonomy.Triggers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Autonomy.Tests.Actions;

/// <summary>
/// What is ledgered for a refused call is generic: "the address resolves to a non-public network", never the addresses
/// a name resolved to (an oracle for the operator's internal DNS). And a call that carries a secret or a signature
/// goes only to https, checked again at call time, unless private networks are allowed.
/// </summary>
public sealed class RefusedCallReasonTests
{
    private static readonly IPAddress[] Internal = [IPAddress.Parse("10.20.30.40"), IPAddress.Parse("fd00:ec2::254")];

    private static ServiceProvider Strict(Action<IServiceCollection, IConfiguration> add)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autonomy:Webhooks:AllowPrivateNetworks"] = "false",
            ["Autonomy:Chat:AllowPrivateNetworks"] = "false",
            ["Autonomy:Chat:MaxRetries"] = "0",
            ["Autonomy:Webhooks:MaxRetries"] = "0",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IWebhookSigningSecrets>(new FixedSigningSecrets());
        add(services, configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>Every name resolves to internal addresses (a public-looking name an attacker pointed at the internal network).</summary>
    private static Task<IPAddress[]> ResolveInternal(string host, CancellationToken cancellationToken) => Task.FromResult(Internal);

    [Fact]
    public async Task AWebhookToANameThatResolvesInternallyFailsWithTheGenericReasonOnly()
    {
        await using var provider = Strict((s, c) =>
        {
            s.AddWebhookClient(c);
            s.AddHttpClient(WebhookExecutor.ClientName).ConfigurePrimaryHttpMessageHandler(() => WebhookClient.Handler(false, ResolveInternal));
        });

        var result = await WebhookExecutorTests.Executor(provider).ExecuteAsync(
            new ExecutionRequest("k-1", "t1", "acc-1", "SEND_EMAIL", "{}", "run_1", false, "https://hooks.example.test/hook"));

        Assert.False(result.Succeeded);
        Assert.Contains(WebhookAddressRule.NonPublicReason, result.Detail, StringComparison.Ordinal);
        Assert.All(Internal, a => Assert.DoesNotContain(a.ToString(), result.Detail, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task AChatCallToANameThatResolvesInternallyFailsWithTheGenericReasonOnly()
    {
        await using var provider = Strict((s, c) =>
        {
            s.AddChatEngine(c);
            s.AddHttpClient(ChatEngine.ClientName).ConfigurePrimaryHttpMessageHandler(() => WebhookClient.Handler(false, ResolveInternal));
        });
        var engine = provider.GetRequiredService<ChatEngine>();
        var settings = new ChatSettings("https://llm.example.test/v1", "m", "sk-test", 64, 0, 0);

        var outcome = await engine.CallAsync(engine.Prepare(Context, settings, ActionCatalog.BuiltIns), settings);

        Assert.Equal(ChatCallResult.Failed, outcome.Result);
        Assert.Contains(WebhookAddressRule.NonPublicReason, outcome.Detail, StringComparison.Ordinal);
        Assert.All(Internal, a => Assert.DoesNotContain(a.ToString(), outcome.Detail, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ASignedWebhookGoesOnlyToHttps()
    {
        var resolved = 0;
        await using var provider = Strict((s, c) =>
        {
            s.AddWebhookClient(c);
            s.AddHttpClient(WebhookExecutor.ClientName).ConfigurePrimaryHttpMessageHandler(() => WebhookClient.Handler(false, (_, _) =>
            {
                Interlocked.Increment(ref resolved);
                return Task.FromResult(new[] { IPAddress.Parse("93.184.215.14") });
            }));
        });

        var result = await WebhookExecutorTests.Executor(provider).ExecuteAsync(
            new ExecutionRequest("k-2", "t1", "acc-1", "SEND_EMAIL", "{}", "run_1", false, "http://hooks.example.test/hook"));

        Assert.False(result.Succeeded);
        Assert.Contains("https", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, resolved);
    }

    [Fact]
    public async Task AnApiKeyGoesOnlyToHttps()
    {
        await using var provider = Strict((s, c) => s.AddChatEngine(c));
        var engine = provider.GetRequiredService<ChatEngine>();
        var settings = new ChatSettings("http://llm.example.test/v1", "m", "sk-test", 64, 0, 0);

        var outcome = await engine.CallAsync(engine.Prepare(Context, settings, ActionCatalog.BuiltIns), settings);

        Assert.Equal(ChatCallResult.Failed, outcome.Result);
        Assert.False(outcome.EndpointAnswered);
        Assert.Contains("https", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConnectorSecretGoesOnlyToHttps()
    {
        await using var provider = Strict((s, c) =>
        {
            s.AddWebhookClient(c);
            s.AddConnectors();
        });
        var config = new ConnectorConfig(
            "crm", ConnectorKind.HttpJson, true, "http://crm.example.test/{accountId}", "Authorization", "Bearer top-secret", TimeSpan.FromSeconds(5),
            ConnectorMapping.Default, PullCadence.Default, Throttle.Default, 1, 1);

        var refused = await Assert.ThrowsAsync<OutgoingCallException>(() =>
            provider.GetRequiredService<HttpJsonConnector>().PullAsync(config, new PullRequest("t1", "acc-1", null, DateTimeOffset.UtcNow), CancellationToken.None));

        Assert.Contains("https", refused.Reason, StringComparison.Ordinal);
    }

    private static readonly DecisionContext Context = new("t1", "acc-1", "run_1", "TEST", [], "CUSTOMER", "{}", 1, Playbook.Empty);
}

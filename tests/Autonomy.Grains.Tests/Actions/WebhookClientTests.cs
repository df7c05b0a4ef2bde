using System.Net;
using System.Net.Sockets;
using System.Text;
using Autonomy.Actions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Autonomy.Tests.Actions;

/// <summary>The webhook client refuses private addresses after name resolution, and its timeouts stay below Orleans'.</summary>
public sealed class WebhookClientTests
{
    private const string PublicLookingName = "hooks.example.test";

    [Fact]
    public async Task ANameThatResolvesToLoopbackIsRefusedAtConnectTime()
    {
        using var receiver = new OneShotReceiver();
        using var client = new HttpClient(WebhookClient.Handler(allowPrivateNetworks: false, ResolveTo(IPAddress.Loopback)));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://{PublicLookingName}:{receiver.Port}/hook"));

        Assert.Contains("AllowPrivateNetworks", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, receiver.Connections);
    }

    [Fact]
    public async Task ANameWhoseEveryAddressIsPrivateIsRefused()
    {
        using var receiver = new OneShotReceiver();
        var answer = new[] { IPAddress.Parse("192.168.1.1"), IPAddress.Loopback, IPAddress.Parse("::ffff:10.0.0.1"), IPAddress.IPv6Loopback };
        using var client = new HttpClient(WebhookClient.Handler(allowPrivateNetworks: false, ResolveTo(answer)));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://{PublicLookingName}:{receiver.Port}/hook"));

        // The reason is generic: the addresses a name resolves to never leave in an exception (an oracle for internal DNS).
        Assert.All(answer, a => Assert.DoesNotContain(a.ToString(), refused.ToString(), StringComparison.Ordinal));
        Assert.Equal(WebhookAddressRule.NonPublicReason, OutgoingFailure.Reason(refused));
        Assert.Equal(0, receiver.Connections);
    }

    [Theory]
    [InlineData("http://localhost:{0}/hook")]
    [InlineData("http://127.0.0.1:{0}/hook")]
    [InlineData("http://[::ffff:127.0.0.1]:{0}/hook")]
    public async Task LiteralLoopbackIsRefusedWithoutResolving(string url)
    {
        using var receiver = new OneShotReceiver();
        using var client = new HttpClient(WebhookClient.Handler(allowPrivateNetworks: false, (_, _) => throw new InvalidOperationException("no lookup expected")));

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, url, receiver.Port)));

        Assert.Equal(0, receiver.Connections);
    }

    [Fact]
    public async Task WithPrivateNetworksAllowedTheRequestArrives()
    {
        using var receiver = new OneShotReceiver();
        using var client = new HttpClient(WebhookClient.Handler(allowPrivateNetworks: true, ResolveTo(IPAddress.Loopback)));

        using var response = await client.GetAsync($"http://{PublicLookingName}:{receiver.Port}/hook");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, receiver.Connections);
    }

    [Fact]
    public void TheNamedClientTakesItsTimeoutsAndRetriesFromTheSettings()
    {
        using var provider = Services(("Autonomy:Webhooks:AttemptTimeout", "00:00:03"), ("Autonomy:Webhooks:TotalTimeout", "00:00:12"), ("Autonomy:Webhooks:MaxRetries", "1"));

        var resilience = provider.GetRequiredService<IOptionsMonitor<HttpStandardResilienceOptions>>().Get($"{WebhookExecutor.ClientName}-standard");

        Assert.Equal(TimeSpan.FromSeconds(3), resilience.AttemptTimeout.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(12), resilience.TotalRequestTimeout.Timeout);
        Assert.Equal(1, resilience.Retry.MaxRetryAttempts);
    }

    [Fact]
    public async Task NoRetriesMeansOneAttemptEvenForAnAnswerThatWouldBeRetried()
    {
        using var receiver = new OneShotReceiver("503 Service Unavailable");
        using var provider = Services(("Autonomy:Webhooks:MaxRetries", "0"), ("Autonomy:Webhooks:AllowPrivateNetworks", "true"));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(WebhookExecutor.ClientName);

        using var response = await client.PostAsync($"http://127.0.0.1:{receiver.Port}/hook", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, receiver.Connections);
    }

    [Fact]
    public void TheDefaultsEndBeforeOrleansResponseTimeout()
    {
        using var provider = Services();

        var webhooks = provider.GetRequiredService<IOptions<WebhookOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(5), webhooks.AttemptTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), webhooks.TotalTimeout);
        Assert.True(webhooks.TotalTimeout < provider.GetRequiredService<IOptions<SiloMessagingOptions>>().Value.ResponseTimeout);
    }

    [Fact]
    public void ALowerResponseTimeoutLowersTheDefaultWebhookTimeoutsWithIt()
    {
        using var provider = Services(("Orleans:Messaging:ResponseTimeout", "00:00:10"));

        var webhooks = provider.GetRequiredService<IOptions<WebhookOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(5), webhooks.TotalTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), webhooks.AttemptTimeout);
    }

    [Theory]
    [InlineData("00:00:30", "00:00:30")]
    [InlineData("00:01:00", "00:00:30")]
    [InlineData("00:00:20", "00:00:10")]
    public void ATotalTimeoutNotBelowTheResponseTimeoutFailsNamingBothSettings(string total, string response)
    {
        using var provider = Services(("Autonomy:Webhooks:TotalTimeout", total), ("Orleans:Messaging:ResponseTimeout", response));

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<WebhookOptions>>().Value);

        Assert.Contains("Autonomy:Webhooks:TotalTimeout", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Orleans:Messaging:ResponseTimeout", failure.Message, StringComparison.Ordinal);
    }

    private static Func<string, CancellationToken, Task<IPAddress[]>> ResolveTo(params IPAddress[] addresses) =>
        (_, _) => Task.FromResult(addresses);

    /// <summary>The webhook client as the silo registers it, with Orleans' messaging options bound like SiloComposition's.</summary>
    private static ServiceProvider Services(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
        var services = new ServiceCollection();
        services.AddOptions<SiloMessagingOptions>().Configure(o => o.ResponseTimeout = TimeSpan.FromSeconds(30)).Bind(configuration.GetSection("Orleans:Messaging"));
        services.AddWebhookClient(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>A loopback HTTP server that answers every request with one status (200 unless told) and counts connections.</summary>
    private sealed class OneShotReceiver : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly string _status;
        private int _connections;

        public OneShotReceiver(string status = "200 OK")
        {
            _status = status;
            _listener.Start();
            _ = ServeAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public void Dispose() => _listener.Dispose();

        private async Task ServeAsync()
        {
            try
            {
                while (true)
                {
                    using var socket = await _listener.AcceptSocketAsync();
                    Interlocked.Increment(ref _connections);
                    var buffer = new byte[8192];
                    var read = 0;
                    while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        read += await socket.ReceiveAsync(buffer.AsMemory(read));
                    }

                    await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {_status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The test is over.
            }
        }
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Autonomy.Actions;

/// <summary>
/// The named HTTP client of every webhook (tenant executor, seller digest): timeouts and retries from
/// <see cref="WebhookOptions"/>, and a connection that refuses private addresses (<see cref="WebhookAddressRule"/>)
/// after the name is resolved, so a public-looking name that resolves to loopback or the internal network is refused too.
/// </summary>
public static class WebhookClient
{
    public static IServiceCollection AddWebhookClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>()
            .Bind(configuration.GetSection(WebhookOptions.Section))
            .PostConfigure<IOptions<SiloMessagingOptions>>((webhooks, messaging) => webhooks.ApplyDefaults(messaging.Value.ResponseTimeout))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>());

        var client = services.AddHttpClient(WebhookExecutor.ClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => Handler(sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks));
        client.AddStandardResilienceHandler()
            .SelectPipelineByAuthority()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
            {
                var options = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
                Bound(resilience, options.AttemptTimeout!.Value, options.TotalTimeout!.Value, options.MaxRetries);
            });

        // Added after the resilience handler, so it sits inside the retries and sees every attempt.
        client.AddHttpMessageHandler(() => new WebhookRetryGuard());
        return services;
    }

    /// <summary>
    /// Bounds a standard resilience pipeline for a call made inside a grain call: one attempt's timeout, the whole
    /// call's timeout with its retries, and the retries (0: one attempt; Polly itself wants at least one configured,
    /// so none means handling no outcome). The circuit breaker samples at least two attempts' worth of time.
    /// Every tenant-supplied address (webhooks, connectors, chat endpoints) gets its pipeline per authority, so one
    /// tenant's failing host never opens the circuit for another's.
    /// </summary>
    public static void Bound(HttpStandardResilienceOptions resilience, TimeSpan attemptTimeout, TimeSpan totalTimeout, int maxRetries)
    {
        ArgumentNullException.ThrowIfNull(resilience);
        resilience.AttemptTimeout.Timeout = attemptTimeout;
        resilience.TotalRequestTimeout.Timeout = totalTimeout;
        resilience.Retry.MaxRetryAttempts = Math.Max(1, maxRetries);
        if (maxRetries == 0)
        {
            resilience.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
        }

        resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(resilience.CircuitBreaker.SamplingDuration.Ticks, 2 * attemptTimeout.Ticks));
    }

    /// <summary>
    /// A handler that connects only to addresses the rule allows. No proxy: the rule must see the address the
    /// request really goes to.
    /// </summary>
    /// <param name="allowPrivateNetworks">Skips the rule (tests, receivers on the same network).</param>
    /// <param name="resolve">Name resolution; DNS unless a test supplies its own.</param>
    public static SocketsHttpHandler Handler(bool allowPrivateNetworks, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        resolve ??= Dns.GetHostAddressesAsync;
        return new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowPrivateNetworks, resolve, cancellationToken),
        };
    }

    private static async ValueTask<Stream> ConnectAsync(
        DnsEndPoint endpoint, bool allowPrivateNetworks, Func<string, CancellationToken, Task<IPAddress[]>> resolve, CancellationToken cancellationToken)
    {
        if (!allowPrivateNetworks && WebhookAddressRule.IsLocalName(endpoint.Host.TrimEnd('.')))
        {
            throw Refused(endpoint.Host, "a loopback name");
        }

        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await resolve(endpoint.Host, cancellationToken);
        var allowed = allowPrivateNetworks ? addresses : addresses.Where(a => !WebhookAddressRule.IsPrivate(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw Refused(endpoint.Host, string.Join(", ", addresses.Select(a => a.ToString())));
        }

        SocketException? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new HttpRequestException($"Could not connect to webhook host {endpoint.Host}.", last);
    }

    private static HttpRequestException Refused(string host, string what) =>
        new($"Webhook host {host} resolves to {what}: loopback, link-local and private addresses are refused unless Autonomy:Webhooks:AllowPrivateNetworks=true.");
}

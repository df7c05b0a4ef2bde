using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Autonomy.Actions;

/// <summary>
/// The named HTTP client of every webhook (tenant executor, seller digest, checkpoint anchor): one deadline and a
/// capped body (<see cref="BoundedResponseHandler"/>), timeouts and retries from <see cref="WebhookOptions"/>, no
/// redirects, and a connection that refuses non-public addresses (<see cref="WebhookAddressRule"/>) after the name is
/// resolved, so a public-looking name that resolves to loopback or the internal network is refused too.
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
            .ConfigurePrimaryHttpMessageHandler(sp => Handler(sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks, logger: Log(sp)))
            .AddHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptions<WebhookOptions>>();
                return new BoundedResponseHandler(() => options.Value.TotalTimeout!.Value, () => options.Value.MaxResponseBytes);
            });
        client.AddStandardResilienceHandler()
            .SelectPipelineByAuthority()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
            {
                var options = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
                Bound(resilience, options.AttemptTimeout!.Value, options.TotalTimeout!.Value, options.MaxRetries);
            });

        // Added after the resilience handler, so it sits inside the retries and sees every attempt.
        client.AddHttpMessageHandler(() => new WebhookRetryGuard());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IWebhookSigningSecrets, TenantWebhookSigningSecrets>();
        services.TryAddSingleton<SignedWebhook>();
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
    /// <param name="logger">Where a refusal's details (the host and the addresses it resolved to) go; they never go into the exception.</param>
    public static SocketsHttpHandler Handler(bool allowPrivateNetworks, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, ILogger? logger = null)
    {
        resolve ??= Dns.GetHostAddressesAsync;
        logger ??= NullLogger.Instance;
        return new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowPrivateNetworks, resolve, logger, cancellationToken),
        };
    }

    private static async ValueTask<Stream> ConnectAsync(
        DnsEndPoint endpoint, bool allowPrivateNetworks, Func<string, CancellationToken, Task<IPAddress[]>> resolve, ILogger logger, CancellationToken cancellationToken)
    {
        if (!allowPrivateNetworks && WebhookAddressRule.IsLocalName(endpoint.Host.TrimEnd('.')))
        {
            logger.LogWarning("Outgoing call to {Host} refused: a loopback name (Autonomy:Webhooks:AllowPrivateNetworks / Autonomy:Chat:AllowPrivateNetworks)", endpoint.Host);
            throw new AddressRefusedException();
        }

        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await resolve(endpoint.Host, cancellationToken);
        var allowed = allowPrivateNetworks ? addresses : addresses.Where(a => !WebhookAddressRule.IsPrivate(a)).ToArray();
        if (allowed.Length == 0)
        {
            // The addresses go to the log only: in an exception they would be ledgered and returned, an oracle for internal DNS.
            logger.LogWarning("Outgoing call to {Host} refused: it resolves to {Addresses}, none of them public", endpoint.Host, string.Join(", ", addresses.Select(a => a.ToString())));
            throw new AddressRefusedException();
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

        throw new HttpRequestException(HttpRequestError.ConnectionError, $"Could not connect to {endpoint.Host}.", last);
    }

    /// <summary>The logger of refused connections.</summary>
    public static ILogger Log(IServiceProvider services) =>
        services.GetService<ILoggerFactory>()?.CreateLogger("Autonomy.OutgoingCalls") ?? (ILogger)NullLogger.Instance;
}

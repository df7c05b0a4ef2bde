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

        services.AddHttpClient(WebhookExecutor.ClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => Handler(sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks))
            .AddStandardResilienceHandler()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
            {
                var options = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
                resilience.AttemptTimeout.Timeout = options.AttemptTimeout!.Value;
                resilience.TotalRequestTimeout.Timeout = options.TotalTimeout!.Value;
                // Polly wants at least one retry attempt configured; none means handling no outcome at all.
                resilience.Retry.MaxRetryAttempts = Math.Max(1, options.MaxRetries);
                if (options.MaxRetries == 0)
                {
                    resilience.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
                }

                // The circuit breaker must sample at least two attempts' worth of time.
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(resilience.CircuitBreaker.SamplingDuration.Ticks, 2 * options.AttemptTimeout.Value.Ticks));
            });
        return services;
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

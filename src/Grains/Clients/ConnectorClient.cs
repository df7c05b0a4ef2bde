using Autonomy.Actions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Autonomy.Connectors;

/// <summary>
/// The connectors and their HTTP client. A connector URL is tenant-supplied like a webhook, so it gets the webhook's
/// guard (<see cref="WebhookClient.Handler"/>: no private networks unless allowed, no proxy, no redirects), one deadline
/// and a capped body (<see cref="BoundedResponseHandler"/>, <see cref="HttpJsonConnector.MaxResponseBytes"/>), and the
/// same <c>Autonomy:Webhooks</c> timeouts and retries through the standard resilience pipeline.
/// </summary>
public static class ConnectorClient
{
    public static IServiceCollection AddConnectors(this IServiceCollection services)
    {
        services.TryAddSingleton<HttpJsonConnector>();
        services.TryAddSingleton<SyntheticConnector>();
        services.TryAddSingleton<Connectors>();
        services.AddHttpClient(HttpJsonConnector.ClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookClient.Handler(sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks, logger: WebhookClient.Log(sp)))
            .AddHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptions<WebhookOptions>>();
                return new BoundedResponseHandler(() => options.Value.TotalTimeout!.Value, () => HttpJsonConnector.MaxResponseBytes);
            })
            .AddStandardResilienceHandler()
            .SelectPipelineByAuthority()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
            {
                var options = sp.GetRequiredService<IOptions<WebhookOptions>>().Value;
                WebhookClient.Bound(resilience, options.AttemptTimeout!.Value, options.TotalTimeout!.Value, options.MaxRetries);
            });
        return services;
    }
}

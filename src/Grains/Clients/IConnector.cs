using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Actions;
using Microsoft.Extensions.Options;

namespace Autonomy.Connectors;

/// <summary>What an account asks a connector for: its data changed since <see cref="Since"/> (null: the first pull).</summary>
public sealed record PullRequest(string TenantId, string AccountId, DateTimeOffset? Since, DateTimeOffset Now);

/// <summary>Perception pulls: deeper data about one account from a tenant's system, mapped to signals and posture.</summary>
public interface IConnector
{
    Task<PulledData> PullAsync(ConnectorConfig config, PullRequest request, CancellationToken cancellationToken);
}

/// <summary>Picks the connector of a configuration's kind.</summary>
public sealed class Connectors(HttpJsonConnector http, SyntheticConnector synthetic)
{
    public IConnector For(ConnectorKind kind) => kind == ConnectorKind.Synthetic ? synthetic : http;
}

/// <summary>
/// GETs <see cref="ConnectorConfig.Endpoint"/> (with <c>{accountId}</c> and <c>{since}</c> filled in) through the guarded
/// HTTP client of webhooks: one deadline and a body of at most <see cref="MaxResponseBytes"/>, the standard resilience
/// pipeline (timeouts, retries with backoff, circuit breaker), no redirects and the private-network rule at connect
/// time. A secret goes only to https (unless private networks are allowed, for development). The connector's own timeout bounds the whole pull, and so does the webhook
/// total timeout, which is below Orleans' response timeout: a slow system fails the pull, never the account's turn.
/// </summary>
public sealed class HttpJsonConnector(IHttpClientFactory clients, IOptions<WebhookOptions> options) : IConnector
{
    public const string ClientName = "autonomy-connector";

    /// <summary>The largest answer read (bigger ones fail the pull).</summary>
    public const int MaxResponseBytes = 1024 * 1024;

    public async Task<PulledData> PullAsync(ConnectorConfig config, PullRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(request);
        var total = options.Value.TotalTimeout ?? TimeSpan.FromSeconds(15);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(config.Timeout > TimeSpan.Zero && config.Timeout < total ? config.Timeout : total);

        var url = Url(config.Endpoint!, request);
        var secret = config.AuthHeader is not null ? config.Secret : null;
        if (secret is not null && !WebhookAddressRule.SecretMayGoTo(url, options.Value.AllowPrivateNetworks))
        {
            throw new OutgoingCallException("the endpoint is not https, and the connector's secret goes only to https");
        }

        using var message = new HttpRequestMessage(HttpMethod.Get, url);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (secret is not null)
        {
            message.Headers.TryAddWithoutValidation(config.AuthHeader!, secret);
        }

        // The client's outermost handler read the body already, capped and under the deadline (BoundedResponseHandler).
        using var response = await clients.CreateClient(ClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The connector answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        await using var limited = await response.Content.ReadAsStreamAsync(timeout.Token);
        JsonNode? root;
        try
        {
            root = await JsonNode.ParseAsync(limited, cancellationToken: timeout.Token);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("The connector's answer is not JSON.", ex);
        }

        return PulledData.Map(root, config.Mapping, config.Name);
    }

    /// <summary>The endpoint with <c>{accountId}</c> and <c>{since}</c> (ISO-8601, empty on the first pull) filled in, URL-escaped.</summary>
    public static Uri Url(string endpoint, PullRequest request)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(request);
        var since = request.Since is { } s ? s.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) : "";
        return new Uri(endpoint
            .Replace("{accountId}", Uri.EscapeDataString(request.AccountId), StringComparison.Ordinal)
            .Replace("{since}", Uri.EscapeDataString(since), StringComparison.Ordinal));
    }
}

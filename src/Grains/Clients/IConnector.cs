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
/// HTTP client of webhooks: the standard resilience pipeline (timeouts, retries with backoff, circuit breaker) and the
/// private-network rule at connect time. The connector's own timeout bounds the whole pull, and so does the webhook
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

        using var message = new HttpRequestMessage(HttpMethod.Get, Url(config.Endpoint!, request));
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (config.AuthHeader is { } header && config.Secret is { } secret)
        {
            message.Headers.TryAddWithoutValidation(header, secret);
        }

        using var response = await clients.CreateClient(ClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The connector answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new HttpRequestException($"The connector's answer is larger than {MaxResponseBytes} bytes.");
        }

        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var limited = new MemoryStream();
        var buffer = new byte[81920];
        for (int read; (read = await body.ReadAsync(buffer, timeout.Token)) > 0;)
        {
            if (limited.Length + read > MaxResponseBytes)
            {
                throw new HttpRequestException($"The connector's answer is larger than {MaxResponseBytes} bytes.");
            }

            limited.Write(buffer, 0, read);
        }

        limited.Position = 0;
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

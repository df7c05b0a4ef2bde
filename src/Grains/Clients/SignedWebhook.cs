using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Autonomy.Tenants;
using Microsoft.Extensions.Options;

namespace Autonomy.Actions;

/// <summary>Where the secrets that sign a tenant's webhooks come from: the tenant grain in a silo.</summary>
public interface IWebhookSigningSecrets
{
    /// <summary>The secrets that sign a delivery of <paramref name="tenantId"/> now, current first (never empty).</summary>
    Task<ImmutableArray<string>> SigningAsync(string tenantId);
}

/// <summary>The tenant grain's secrets (generated at the tenant's first delivery when it has none).</summary>
public sealed class TenantWebhookSigningSecrets(IGrainFactory grains) : IWebhookSigningSecrets
{
    public Task<ImmutableArray<string>> SigningAsync(string tenantId) =>
        grains.GetGrain<ITenantWebhookSigningGrain>(tenantId).GetWebhookSigningSecretsAsync();
}

/// <summary>
/// POSTs one webhook delivery (executor, digest, anchor): JSON, <c>Idempotency-Key</c>, and the Standard Webhooks
/// headers signed with the tenant's secrets (<see cref="WebhookSignature"/>), only to https unless private networks
/// are allowed; through the webhook client (<see cref="WebhookClient"/>: one deadline, a capped body, retries, no
/// redirects, no private addresses). Every retry repeats the same id, timestamp and signature.
/// </summary>
public sealed class SignedWebhook(IHttpClientFactory clients, IWebhookSigningSecrets secrets, IOptions<WebhookOptions> options, TimeProvider time)
{
    /// <summary>Delivers <paramref name="body"/>; returns the receiver's status (2xx: delivered). Failures throw, <see cref="OutgoingFailure"/> names them.</summary>
    public async Task<HttpStatusCode> PostAsync(
        string tenantId, string url, string deliveryId, byte[] body, RetryPermit? permit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var uri = new Uri(url, UriKind.Absolute);
        if (!WebhookAddressRule.SecretMayGoTo(uri, options.Value.AllowPrivateNetworks))
        {
            throw new OutgoingCallException("the webhook URL is not https, and a signed webhook goes only to https");
        }

        var signing = await secrets.SigningAsync(tenantId);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        message.Headers.Add("Idempotency-Key", deliveryId);
        message.Headers.Add(WebhookSignature.IdHeader, deliveryId);
        message.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        message.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(signing, deliveryId, timestamp, body));
        if (permit is not null)
        {
            message.Options.Set(WebhookRetryGuard.Permit, permit);
        }

        using var response = await clients.CreateClient(WebhookExecutor.ClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response.StatusCode;
    }
}

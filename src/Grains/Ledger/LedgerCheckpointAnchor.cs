using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text.Json;
using Autonomy.Actions;
using Microsoft.Extensions.Logging;

namespace Autonomy.Ledger;

/// <summary>
/// External anchoring: POSTs a checkpoint, once durable, to the tenant's anchor webhook so a copy lives outside the
/// operator's database. The body is the checkpoint's export line (<c>"kind":"checkpoint"</c>, as
/// <c>GET .../ledger/export</c> writes it), the <c>Idempotency-Key</c> its checkpoint id; it goes through the
/// webhook client of the executor (<see cref="WebhookClient"/>: its timeouts, retries, circuit breaker and the
/// private-address rule). Best effort: a failure is logged and counted, the checkpoint stays written, and the
/// receiver sees the gap as a missing seq (the next checkpoint's prevHash still names the one it missed).
/// </summary>
public sealed class LedgerCheckpointAnchor(IHttpClientFactory clients, ILogger<LedgerCheckpointAnchor> logger)
{
    private static readonly Meter Meter = new(LedgerMetrics.MeterName);
    private static readonly Counter<long> Sent = Meter.CreateCounter<long>(
        "autonomy.ledger.checkpoint_anchors", "{checkpoint}", "Ledger checkpoints POSTed to a tenant's anchor webhook, by outcome.");

    /// <summary>Sends <paramref name="checkpoint"/> to <paramref name="url"/>; true when the receiver answered 2xx.</summary>
    public async Task<bool> SendAsync(string url, LedgerCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        ArgumentNullException.ThrowIfNull(checkpoint);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            LedgerCheckpointJson.WriteLine(writer, checkpoint);
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(buffer.ToArray()) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Add("Idempotency-Key", checkpoint.CheckpointId);
        try
        {
            using var response = await clients.CreateClient(WebhookExecutor.ClientName).SendAsync(message, cancellationToken);
            var ok = response.IsSuccessStatusCode;
            Sent.Add(1, new KeyValuePair<string, object?>("succeeded", ok));
            if (!ok)
            {
                logger.LogWarning("Checkpoint {CheckpointId} of tenant {TenantId}: the anchor webhook answered {Status}", checkpoint.CheckpointId, checkpoint.TenantId, (int)response.StatusCode);
            }

            return ok;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            Sent.Add(1, new KeyValuePair<string, object?>("succeeded", false));
            logger.LogWarning(ex, "Checkpoint {CheckpointId} of tenant {TenantId} not delivered to the anchor webhook", checkpoint.CheckpointId, checkpoint.TenantId);
            return false;
        }
    }
}

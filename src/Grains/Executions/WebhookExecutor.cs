using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Autonomy.Actions;

/// <summary>
/// Delivers an action to the tenant's webhook: a signed HTTP POST of JSON (<see cref="SignedWebhook"/>) with an
/// <c>Idempotency-Key</c> (and <c>webhook-id</c>) that every retry repeats, so the receiver can deduplicate. One
/// deadline, the body cap, timeouts, retries and the circuit breaker come from the named client <see cref="ClientName"/>.
/// </summary>
public sealed class WebhookExecutor(SignedWebhook webhook, ILogger<WebhookExecutor> logger) : IActionExecutor
{
    public const string ClientName = "autonomy-webhook";
    public const string Name = "webhook";

    public Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, Func<CancellationToken, Task<bool>>? mayRetry = null, CancellationToken cancellationToken = default) =>
        PostAsync(request, "execute", mayRetry, cancellationToken);

    public Task<ExecutionResult> RevertAsync(ExecutionRequest request, CancellationToken cancellationToken = default) =>
        PostAsync(request, "revert", null, cancellationToken);

    private async Task<ExecutionResult> PostAsync(ExecutionRequest request, string operation, Func<CancellationToken, Task<bool>>? mayRetry, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["operation"] = operation,
            ["idempotencyKey"] = request.IdempotencyKey,
            ["tenantId"] = request.TenantId,
            ["accountId"] = request.AccountId,
            ["actionType"] = request.ActionType,
            ["parameters"] = JsonNode.Parse(request.Parameters),
            ["runId"] = request.RunId,
            ["autonomous"] = request.Autonomous,
        };
        var key = operation == "execute" ? request.IdempotencyKey : $"{request.IdempotencyKey}:revert";
        try
        {
            var status = await webhook.PostAsync(
                request.TenantId, request.WebhookUrl!, key, JsonSerializer.SerializeToUtf8Bytes(body), mayRetry is null ? null : new RetryPermit(mayRetry), cancellationToken);
            return new ExecutionResult((int)status is >= 200 and < 300, $"Webhook answered {(int)status}.", Name);
        }
        catch (WebhookRetryRefusedException ex)
        {
            // An earlier attempt failed or timed out, so whether the receiver acted is unknown: a failure, not "never called".
            logger.LogWarning("Webhook {Operation} of {Key} not retried: {Reason}", operation, request.IdempotencyKey, ex.Message);
            return new ExecutionResult(false, "A kill switch was engaged between attempts; the delivery was not retried (the earlier attempt's effect is unknown).", Name);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            // The ledgered detail is the kind of failure; the exception (which may name resolved addresses) goes to the log only.
            logger.LogWarning(ex, "Webhook {Operation} of {Key} failed", operation, request.IdempotencyKey);
            return new ExecutionResult(false, $"Webhook failed: {OutgoingFailure.Reason(ex)}.", Name);
        }
    }
}

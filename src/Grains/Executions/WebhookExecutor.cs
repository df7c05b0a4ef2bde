using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Autonomy.Actions;

/// <summary>
/// Delivers an action to the tenant's webhook: HTTP POST of JSON with an <c>Idempotency-Key</c> header that every
/// retry repeats, so the receiver can deduplicate. Timeouts, retries and the circuit breaker come from the
/// standard resilience pipeline on the named client <see cref="ClientName"/>.
/// </summary>
public sealed class WebhookExecutor(IHttpClientFactory clients, ILogger<WebhookExecutor> logger) : IActionExecutor
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
        using var message = new HttpRequestMessage(HttpMethod.Post, request.WebhookUrl) { Content = JsonContent.Create(body) };
        message.Headers.Add("Idempotency-Key", operation == "execute" ? request.IdempotencyKey : $"{request.IdempotencyKey}:revert");
        if (mayRetry is not null)
        {
            message.Options.Set(WebhookRetryGuard.Permit, new RetryPermit(mayRetry));
        }

        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(message, cancellationToken);
            return response.IsSuccessStatusCode
                ? new ExecutionResult(true, $"Webhook answered {(int)response.StatusCode}.", Name)
                : new ExecutionResult(false, $"Webhook answered {(int)response.StatusCode}.", Name);
        }
        catch (WebhookRetryRefusedException ex)
        {
            // An earlier attempt failed or timed out, so whether the receiver acted is unknown: a failure, not "never called".
            logger.LogWarning("Webhook {Operation} of {Key} not retried: {Reason}", operation, request.IdempotencyKey, ex.Message);
            return new ExecutionResult(false, "A kill switch was engaged between attempts; the delivery was not retried (the earlier attempt's effect is unknown).", Name);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            logger.LogWarning(ex, "Webhook {Operation} of {Key} failed", operation, request.IdempotencyKey);
            return new ExecutionResult(false, $"Webhook unreachable: {ex.GetType().Name}.", Name);
        }
    }
}

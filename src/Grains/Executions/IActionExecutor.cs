namespace Autonomy.Actions;

/// <summary>One execution, identified by a durable business key that every retry reuses.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ExecutionRequest")]
public sealed record ExecutionRequest(
    [property: Id(0)] string IdempotencyKey,
    [property: Id(1)] string TenantId,
    [property: Id(2)] string AccountId,
    [property: Id(3)] string ActionType,
    [property: Id(4)] string Parameters,
    [property: Id(5)] string RunId,
    [property: Id(6)] bool Autonomous,
    [property: Id(7)] string? WebhookUrl);

/// <summary>
/// What the executor reports. A failure is a result, not an exception. <see cref="StoppedBy"/> is set instead when the
/// execution grain's own last read found a kill switch covering the action: the executor was not called.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.ExecutionResult")]
public sealed record ExecutionResult(
    [property: Id(0)] bool Succeeded,
    [property: Id(1)] string Detail,
    [property: Id(2)] string Executor,
    [property: Id(3)] Policy.KillSwitchState? StoppedBy = null);

/// <summary>The execution seam. Implementations must be idempotent on <see cref="ExecutionRequest.IdempotencyKey"/>.</summary>
public interface IActionExecutor
{
    /// <summary>Executes the action.</summary>
    /// <param name="request">The action and its idempotency key.</param>
    /// <param name="mayRetry">
    /// Asked before every retry an executor makes inside this call (after its backoff); false ends the call without that
    /// attempt. The execution grain answers with the kill switches as they are then.
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, Func<CancellationToken, Task<bool>>? mayRetry = null, CancellationToken cancellationToken = default);

    /// <summary>Undoes an executed action where the executor can.</summary>
    Task<ExecutionResult> RevertAsync(ExecutionRequest request, CancellationToken cancellationToken = default);
}

using Autonomy.Common;
using Microsoft.Extensions.Logging;

namespace Autonomy.Actions;

public enum ExecutionStatus
{
    None,
    InFlight,
    Done,
}

[GenerateSerializer, Immutable, Alias("autonomy.ExecutionState")]
public sealed record ExecutionState
{
    [Id(0)] public ExecutionStatus Status { get; init; }
    [Id(1)] public ExecutionRequest? Request { get; init; }
    [Id(2)] public ExecutionResult? Result { get; init; }
    [Id(3)] public int Attempts { get; init; }
    [Id(4)] public ExecutionResult? Revert { get; init; }
}

/// <summary>
/// Records "in flight" durably before calling the executor, so a crash mid-call retries with the same
/// idempotency key (the executor dedupes) instead of silently executing a second, different time.
/// </summary>
[GrainType("autonomy.execution")]
public sealed class ExecutionGrain(
    [PersistentState("execution", "autonomy")] IPersistentState<ExecutionState> state,
    InternalExecutor internalExecutor,
    WebhookExecutor webhookExecutor,
    ILogger<ExecutionGrain> logger) : Grain, IExecutionGrain
{
    public async Task<ExecutionResult> ExecuteAsync(ExecutionRequest request)
    {
        if (state.State is { Status: ExecutionStatus.Done, Result: { } done })
        {
            return done;
        }

        await WriteAsync(state.State with { Status = ExecutionStatus.InFlight, Request = request, Attempts = state.State.Attempts + 1 });
        if (state.State.Attempts > 1)
        {
            logger.LogWarning("Execution {Key} resumed after an interrupted attempt ({Attempts})", request.IdempotencyKey, state.State.Attempts);
        }

        var result = await ExecutorFor(request).ExecuteAsync(request);
        await WriteAsync(state.State with { Status = ExecutionStatus.Done, Result = result });
        return result;
    }

    public Task<ExecutionState> GetAsync() => Task.FromResult(state.State);

    public async Task<ExecutionResult> RevertAsync()
    {
        if (state.State.Revert is { } reverted)
        {
            return reverted;
        }

        if (state.State is not { Status: ExecutionStatus.Done, Request: { } request, Result.Succeeded: true })
        {
            return new ExecutionResult(false, "Only a succeeded execution can be reverted.", "none");
        }

        var result = await ExecutorFor(request).RevertAsync(request);
        await WriteAsync(state.State with { Revert = result });
        return result;
    }

    private IActionExecutor ExecutorFor(ExecutionRequest request) =>
        request.WebhookUrl is null ? internalExecutor : webhookExecutor;

    private Task WriteAsync(ExecutionState next) => state.ReplaceAsync(next);
}

using Autonomy.Common;
using Autonomy.Policy;
using Autonomy.Tenants;
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
/// idempotency key (the executor dedupes) instead of silently executing a second, different time. The caller
/// cleared the action, but the hop here and the in-flight write let time pass: the kill switches are read once more
/// after that write, right before the executor, and a switch engaged meanwhile stops the call.
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

        var found = state.State;
        await WriteAsync(found with { Status = ExecutionStatus.InFlight, Request = request, Attempts = found.Attempts + 1 });
        if (state.State.Attempts > 1)
        {
            logger.LogWarning("Execution {Key} resumed after an interrupted attempt ({Attempts})", request.IdempotencyKey, state.State.Attempts);
        }

        var switches = await KillSwitchesAsync(request.TenantId);
        if (switches.Stops(request.ActionType))
        {
            // A stopped attempt leaves the grain as it found it: an execution never called stays never called.
            await WriteAsync(found);
            logger.LogWarning("Execution {Key} stopped by a kill switch right before its executor", request.IdempotencyKey);
            return new ExecutionResult(false, $"A kill switch covering {request.ActionType} was engaged; the executor was not called.", "none", switches);
        }

        var result = await ExecutorFor(request).ExecuteAsync(request, async _ => !(await KillSwitchesAsync(request.TenantId)).Stops(request.ActionType));
        await WriteAsync(state.State with { Status = ExecutionStatus.Done, Result = result });
        return result;
    }

    public Task<ExecutionState> GetAsync() => Task.FromResult(state.State);

    public async Task<ExecutionState> CloseIfNeverCalledAsync()
    {
        if (state.State is { Request: null, Status: not ExecutionStatus.Done })
        {
            // Decided here, in this grain's turn: either the request arrived first and is kept, or it is refused for good.
            await WriteAsync(state.State with { Status = ExecutionStatus.Done, Result = new ExecutionResult(false, "Closed by recovery before the executor was called; never executed.", "none") });
        }

        return state.State;
    }

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

    /// <summary>The tenant's and the platform's switches as they are now; unreadable, they count as engaged.</summary>
    private async Task<KillSwitchState> KillSwitchesAsync(string tenantId)
    {
        try
        {
            return await GrainFactory.GetGrain<ITenantGrain>(tenantId).GetKillSwitchesAsync();
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Kill switches of {TenantId} unreadable; failing closed", tenantId);
            return KillSwitchState.Unknown;
        }
    }

    private IActionExecutor ExecutorFor(ExecutionRequest request) =>
        request.WebhookUrl is null ? internalExecutor : webhookExecutor;

    private Task WriteAsync(ExecutionState next) => state.ReplaceAsync(next);
}

namespace Autonomy.Actions;

/// <summary>Executes actions the system keeps itself (tasks, notes, field values, drafts) in the account's workspace.</summary>
public sealed class InternalExecutor(IGrainFactory grains) : IActionExecutor
{
    public const string Name = "internal";

    /// <summary>One call to the account's workspace grain, never retried here, so <paramref name="mayRetry"/> is never asked.</summary>
    public async Task<ExecutionResult> ExecuteAsync(ExecutionRequest request, Func<CancellationToken, Task<bool>>? mayRetry = null, CancellationToken cancellationToken = default)
    {
        var workspace = grains.GetGrain<IWorkspaceGrain>($"{request.TenantId}/{request.AccountId}");
        await workspace.ApplyAsync(request.IdempotencyKey, request.ActionType, request.Parameters);
        return new ExecutionResult(true, $"{request.ActionType} kept in the account workspace.", Name);
    }

    public async Task<ExecutionResult> RevertAsync(ExecutionRequest request, CancellationToken cancellationToken = default)
    {
        var workspace = grains.GetGrain<IWorkspaceGrain>($"{request.TenantId}/{request.AccountId}");
        var item = await workspace.RevertAsync(request.IdempotencyKey);
        return item is { Reverted: true }
            ? new ExecutionResult(true, $"{request.ActionType} reverted in the account workspace.", Name)
            : new ExecutionResult(false, "Nothing to revert.", Name);
    }
}

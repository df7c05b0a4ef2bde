namespace Autonomy.Actions;

/// <summary>
/// Deduplicates executions by their durable business key. Key: "{tenantId}/{idempotencyKey}". A retry, a
/// duplicate approval or a restart reaches the same grain and gets the stored result instead of a second execution.
/// </summary>
[Alias("autonomy.IExecutionGrain")]
public interface IExecutionGrain : IGrainWithStringKey
{
    /// <summary>Executes once; later calls return the first result.</summary>
    [Alias("Execute")]
    Task<ExecutionResult> ExecuteAsync(ExecutionRequest request);

    /// <summary>Returns what is stored: whether the executor was called, and its result.</summary>
    [Alias("Get")]
    Task<ExecutionState> GetAsync();

    /// <summary>
    /// Closes an execution never called (done, failed, no request), so a call still on its way cannot run it after
    /// recovery ledgered that nothing ran; returns what is stored, unchanged when the call had arrived.
    /// </summary>
    [Alias("CloseIfNeverCalled")]
    Task<ExecutionState> CloseIfNeverCalledAsync();

    /// <summary>Reverts a succeeded execution once; later calls return the first result.</summary>
    [Alias("Revert")]
    Task<ExecutionResult> RevertAsync();
}

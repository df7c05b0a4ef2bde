namespace Autonomy.Accounts;

/// <summary>
/// After a crash or a lost answer: the acknowledged signals a snapshot missed are folded again, and executions
/// whose steps reached the ledger but whose result did not are settled once, never called past a kill switch.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>Folds the ledger entries the stored snapshot does not hold yet, so no acknowledged signal is lost, and settles the executions they left open.</summary>
    private async Task ReplayAsync(CancellationToken cancellationToken)
    {
        var entries = new List<LedgerEntry>();
        for (IReadOnlyList<LedgerEntry> page; (page = await ledger.ReadStreamAsync(stream!.StreamId, entries.Count > 0 ? entries[^1].Seq : state.State.LedgerSeq, 500, cancellationToken)).Count > 0;)
        {
            entries.AddRange(page);
        }

        var registry = entries.Any(e => e.Type == LedgerTypes.SignalIngested) ? (await TenantNowAsync()).Triggers : null;
        (state.State, var replayed) = state.State.Replayed(entries, registry, Options.SignalIdMemory);
        AutonomyMetrics.Replayed(entries.Count);
        await RecoverInFlightAsync();
        if (entries.Count > 0)
        {
            logger.LogWarning("Account {TenantId}/{AccountId} replayed {Count} acknowledged signals ({Entries} entries) the snapshot missed", TenantId, AccountId, replayed, entries.Count);
            unsaved = true;
            await SnapshotAsync();
        }
    }

    /// <summary>
    /// Settles the executions in flight: every one whose answer is recorded, and up to <see cref="ExecutorCallsPerRecovery"/>
    /// called again; the rest stay in flight for the next tick. Which one is called again rotates with the minute, so an
    /// executor that never answers one execution does not starve the others.
    /// </summary>
    private async Task RecoverInFlightAsync()
    {
        var executions = state.State.InFlight.Values.OrderBy(e => e.ActionId, StringComparer.Ordinal).ToList();
        var start = executions.Count == 0 ? 0 : (int)(time.GetUtcNow().UtcTicks / TimeSpan.TicksPerMinute % executions.Count);
        var calls = 0;
        foreach (var execution in executions.Skip(start).Concat(executions.Take(start)))
        {
            var batch = NewBatch();
            var (s, called) = await RecoverExecutionAsync(batch, state.State, execution, mayCallExecutor: calls < ExecutorCallsPerRecovery);
            calls += called ? 1 : 0;
            await CommitAsync(batch, s);
        }
    }

    /// <summary>
    /// Settles one interrupted execution. The execution grain knows whether the executor was called and answered:
    /// answered, its result is ledgered; never called, nothing ran (ledgered for an autonomous action; an approved
    /// proposal simply stays pending for its human); called without an answer, it is called again under the same
    /// idempotency key, but only after it is cleared again (kill switches and the policy on the tenant as it is now)
    /// and the check is durable.
    /// </summary>
    private async Task<(AccountState State, bool CalledExecutor)> RecoverExecutionAsync(LedgerBatch batch, AccountState s, InFlightExecution execution, bool mayCallExecutor)
    {
        var (actionId, runId, proposalId) = (execution.ActionId, execution.RunId, execution.ProposalId);
        var grain = GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{actionId}");

        // An autonomous action's key is never used again: one never called is closed, so a late call cannot run it
        // after this ledgers that nothing ran. An approval's key is (the proposal stays pending for its human).
        var stored = proposalId is null ? await grain.CloseIfNeverCalledAsync() : await grain.GetAsync();
        if (stored.Request is not { } request)
        {
            if (proposalId is null)
            {
                batch.Add(LedgerTypes.ActionFailed, runId, "system", new ActionResultPayload(actionId, null, null, actionId, true, "Interrupted before the executor was called; nothing was executed."));
            }

            return (s with { InFlight = s.InFlight.Remove(actionId) }, false);
        }

        var result = stored is { Status: ExecutionStatus.Done, Result: { } done } ? done : null;
        if (result is null)
        {
            // This pass may have made its executor call already: this one then waits for the next tick, unchanged.
            if (!mayCallExecutor) return (s, false);
            var retry = ExecutionClearance.RetryInput(request.ActionType, s.Lifecycle);
            if (!(await ClearToExecuteAsync(batch, request.RunId, null, actionId, retry, now => ExecutionClearance.Retry(request.Autonomous, now))).Clearance.Cleared)
            {
                return (NotRetried(batch, s, request, proposalId), false);
            }

            if (await CallExecutorAsync(request) is not { } answer) return (s with { InFlight = s.InFlight.SetItem(actionId, execution) }, true);
            if (answer.StoppedBy is { } stoppedBy)
            {
                batch.Add(LedgerTypes.KillSwitchChecked, request.RunId, "system", new KillSwitchCheckedPayload(null, actionId, request.ActionType, stoppedBy, true, "before-executor"));
                return (NotRetried(batch, s, request, proposalId), true);
            }

            result = answer;
        }

        var pending = proposalId is null ? null : s.Pending.GetValueOrDefault(proposalId)?.View;
        var revertible = (await TenantNowAsync()).Catalog.GetValueOrDefault(request.ActionType)?.Revertible ?? false;
        var action = ActionOf(request, result, (pending?.Reason ?? PolicyReason.AllowedByPolicy, "Completed after an interruption. " + (pending?.Explanation ?? string.Empty),
            pending?.PolicyVersion ?? AutoApprovalPolicyV1.Version), proposalId, revertible);
        s = Settle(batch, s, action, result.Executor, "system", recovered: true);
        if (proposalId is not null)
        {
            s = s.WithResolved(proposalId, actionId);
            await (pending is null ? Task.CompletedTask : RemoveFromQueueAsync(pending));
        }

        await RecordOnTimelineAsync(action);
        logger.LogWarning("Execution {ActionId} of {TenantId}/{AccountId} completed after an interruption", actionId, TenantId, AccountId);
        return (s, stored.Status != ExecutionStatus.Done);
    }

    /// <summary>A retry that a kill switch or the policy stopped: an autonomous action ends failed (ledgered); an approved proposal stays pending.</summary>
    private static AccountState NotRetried(LedgerBatch batch, AccountState s, ExecutionRequest request, string? proposalId)
    {
        if (proposalId is null)
        {
            batch.Add(LedgerTypes.ActionFailed, request.RunId, "system", new ActionResultPayload(
                request.IdempotencyKey, null, null, request.IdempotencyKey, true,
                "A kill switch or the policy stopped the interrupted execution's retry; it was not called again (the interrupted attempt's effect is unknown)."));
        }

        return s with { InFlight = s.InFlight.Remove(request.IdempotencyKey) };
    }
}

using Autonomy.Actions;
using Autonomy.Ledger;
using Autonomy.Outcomes;
using Autonomy.Policy;
using Autonomy.Triggers;
using Microsoft.Extensions.Logging;

namespace Autonomy.Accounts;

/// <summary>
/// After a crash or a lost answer: the acknowledged signals a snapshot missed are folded again, and executions
/// whose steps reached the ledger but whose result did not are settled once, never called past a kill switch.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>
    /// Folds the ledger entries the stored snapshot does not hold yet (a crash between acknowledgement and snapshot),
    /// so no acknowledged signal is lost, and settles the executions they left open.
    /// </summary>
    private async Task ReplayAsync(CancellationToken cancellationToken)
    {
        var s = state.State;
        TriggerRegistry? registry = null;
        var replayed = 0;
        var read = 0;
        var started = new Dictionary<string, InFlightExecution>(s.InFlight);
        for (IReadOnlyList<LedgerEntry> entries; (entries = await ledger.ReadStreamAsync(stream!.StreamId, s.LedgerSeq, 500, cancellationToken)).Count > 0;)
        {
            foreach (var entry in entries)
            {
                read++;
                if (entry.Type == LedgerTypes.SignalIngested)
                {
                    registry ??= (await TenantNowAsync()).Triggers;
                    s = Touch(s, entry.At);
                    foreach (var signal in AccountLedger.Read<SignalIngestedPayload>(entry).Signals)
                    {
                        if (!s.Signals.Contains(signal.Id))
                        {
                            (s, _) = s.Ingest(registry, new SignalRef(signal.Id, signal.Type, entry.At, signal.Value), Options.SignalIdMemory, entry.At);
                            replayed++;
                        }
                    }
                }

                TrackExecution(entry, started);
                s = s with { LedgerSeq = entry.Seq };
            }
        }

        AutonomyMetrics.Replayed(read);
        state.State = s with { InFlight = s.InFlight.SetItems(started) };
        await RecoverInFlightAsync();
        if (replayed > 0 || read > 0)
        {
            logger.LogWarning("Account {TenantId}/{AccountId} replayed {Count} acknowledged signals ({Entries} entries) the snapshot missed", TenantId, AccountId, replayed, read);
            unsaved = true;
            await SnapshotAsync();
        }
    }

    /// <summary>Executions whose steps reached the ledger but whose result did not: opened by a clearance or an approval, closed by a result.</summary>
    private static void TrackExecution(LedgerEntry entry, Dictionary<string, InFlightExecution> started)
    {
        switch (entry.Type)
        {
            case LedgerTypes.KillSwitchChecked:
                var check = AccountLedger.Read<KillSwitchCheckedPayload>(entry);
                if (check.Stopped)
                {
                    started.Remove(check.ActionId);
                }
                else if (!started.ContainsKey(check.ActionId))
                {
                    started[check.ActionId] = new InFlightExecution(check.ActionId, entry.RunId ?? string.Empty, null);
                }

                break;
            case LedgerTypes.ProposalResolved:
                var resolved = AccountLedger.Read<ProposalResolvedPayload>(entry);
                if (resolved is { Resolution: "APPROVED" or "EDITED", ActionId: { } actionId })
                {
                    started[actionId] = new InFlightExecution(actionId, entry.RunId ?? string.Empty, resolved.ProposalId);
                }

                break;
            case LedgerTypes.ActionExecuted or LedgerTypes.ActionFailed:
                // Entries written before the payloads were typed carry the id only inside the action.
                var settled = AccountLedger.Read<ActionResultPayload>(entry);
                if (((string?)settled.ActionId ?? settled.Action?.ActionId) is { } id)
                {
                    started.Remove(id);
                }

                break;
        }
    }

    /// <summary>
    /// The most executor calls one recovery pass makes. A call may take the executor's whole timeout and the account
    /// answers nothing meanwhile (ingest, approvals), so a backlog of unanswered executions (at most
    /// <see cref="AccountState.MaxInFlight"/>) is called again one per tick, not all in one turn that outlasts every
    /// caller's timeout. Settling from the execution grain's record (answered, or never called) costs no executor call
    /// and is never held back.
    /// </summary>
    internal const int ExecutorCallsPerRecovery = 1;

    /// <summary>
    /// Settles the executions in flight: every one whose answer is recorded, and up to
    /// <see cref="ExecutorCallsPerRecovery"/> called again; the rest (and one that still gets no answer) stay in flight
    /// for the next tick. Which one is called again rotates with the minute, so an executor that never answers one
    /// execution does not starve the others.
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

        ExecutionResult result;
        if (stored is { Status: ExecutionStatus.Done, Result: { } done })
        {
            result = done;
        }
        else if (!mayCallExecutor)
        {
            // This pass has made its executor call: this one waits for the next tick, unchanged.
            return (s, false);
        }
        else if (!(await ClearToExecuteAsync(
            batch, request.RunId, null, actionId, ExecutionClearance.RetryInput(request.ActionType, s.Lifecycle), now => ExecutionClearance.Retry(request.Autonomous, now))).Clearance.Cleared)
        {
            return (NotRetried(batch, s, request, proposalId), false);
        }
        else
        {
            try
            {
                result = await grain.ExecuteAsync(request);
            }
            catch (Exception ex) when (ex is not Common.AutonomyException)
            {
                logger.LogWarning(ex, "Execution {ActionId} of {TenantId}/{AccountId} still has no answer", actionId, TenantId, AccountId);
                return (s with { InFlight = s.InFlight.SetItem(actionId, execution) }, true);
            }

            if (result.StoppedBy is { } stoppedBy)
            {
                batch.Add(LedgerTypes.KillSwitchChecked, request.RunId, "system", new KillSwitchCheckedPayload(null, actionId, request.ActionType, stoppedBy, true, "before-executor"));
                return (NotRetried(batch, s, request, proposalId), true);
            }
        }

        var snapshot = await TenantNowAsync();
        var pending = proposalId is null ? null : s.Pending.GetValueOrDefault(proposalId)?.View;
        var action = new ActionView(
            actionId, request.RunId, AccountId, SellerId, request.ActionType, request.Parameters, request.Autonomous,
            result.Succeeded ? ActionStatus.Succeeded : ActionStatus.Failed, time.GetUtcNow(),
            pending?.Reason ?? PolicyReason.AllowedByPolicy, "Completed after an interruption. " + (pending?.Explanation ?? string.Empty),
            pending?.PolicyVersion ?? AutoApprovalPolicyV1.Version, proposalId,
            result.Succeeded ? OutcomeV1.ExecutionSucceeded : OutcomeV1.ExecutionFailed, result.Detail,
            snapshot.Catalog.GetValueOrDefault(request.ActionType)?.Revertible ?? false);
        s = Settle(batch, s, action, result.Executor, "system", recovered: true);
        if (proposalId is not null)
        {
            s = s.WithResolved(proposalId, actionId);
            if (pending is not null)
            {
                await RemoveFromQueueAsync(pending);
            }
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

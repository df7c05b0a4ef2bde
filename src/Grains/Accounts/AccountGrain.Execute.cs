namespace Autonomy.Accounts;

/// <summary>
/// Execution, on every path: ledger flushed, kill switches and the policy re-read, the executor called once per
/// idempotency key. After a crash or a lost answer, the signals a snapshot missed are folded again and executions whose
/// steps reached the ledger but whose result did not are settled once, never called past a kill switch.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>
    /// Counts the action against the budget (stored before the side effect, so a crash never under-counts), clears it
    /// and executes. A stopped action gives its budget back and carries the policy's answer that stopped it.
    /// </summary>
    private async Task<Executed> ExecuteAutonomousAsync(DecisionRun run, AccountState s, int index, ProposedAction p, PolicyInput input, PolicyResult result)
    {
        var before = s;
        s = s with { Budget = AutonomyBudget.Consume(s.Budget!, p.ActionType, run.Now) };
        await CommitAsync(run.Batch, s);

        var actionId = Ids.Action(AccountId, $"{s.Counter}-{index}");
        var (clearance, tenant, executed) = await ClearAndExecuteAsync(run.Batch, s, run.RunId, index, actionId, input, ExecutionClearance.Autonomous, p.Parameters, null, result, Actor.System);
        if (executed is null) return new Executed(s with { Budget = before.Budget }, ExecutionOutcome.Stopped, null, clearance.Policy);
        AutonomyMetrics.BudgetUsed(p.ActionType);
        return executed.StoppedBy is not { } stoppedBy
            ? executed with { Policy = result }
            : executed with { State = executed.State with { Budget = before.Budget }, Policy = ExecutionClearance.Autonomous(tenant!.Refresh(input) with { KillSwitches = stoppedBy }).Policy };
    }

    /// <summary>Clears the action and, cleared, executes it as the tenant it was cleared on says (catalog entry, executor); no execution when stopped.</summary>
    private async Task<(Clearance Clearance, TenantSnapshot? Tenant, Executed? Executed)> ClearAndExecuteAsync(
        LedgerBatch batch, AccountState s, string runId, int? index, string actionId, PolicyInput input, Func<PolicyInput, Clearance> rule, string parameters, string? proposalId, PolicyResult result, Actor actor)
    {
        var (clearance, tenant) = await ClearToExecuteAsync(batch, runId, index, actionId, input, rule);
        if (!clearance.Cleared) return (clearance, tenant, null);
        var spec = tenant!.Catalog[input.ActionType];
        var request = new ExecutionRequest(actionId, TenantId, AccountId, input.ActionType, parameters, runId, proposalId is null, ExecutorChoice.WebhookUrl(spec, tenant.Executor));
        return (clearance, tenant, await ExecuteAsync(batch, s, request, proposalId, spec, result, actor));
    }

    /// <summary>
    /// The last gate before a side effect: re-runs the policy on <paramref name="decided"/> under <paramref name="rule"/>
    /// with the tenant as it is now (switches, modes, catalog, parameters, opt-in), ledgered; makes every step durable;
    /// then reads and decides once more, so a switch engaged while the ledger was writing still stops the action. An
    /// unreadable tenant stops it. Returns the clearance and the tenant it was cleared on; a stop is ledgered and flushed.
    /// </summary>
    private async Task<(Clearance Clearance, TenantSnapshot? Tenant)> ClearToExecuteAsync(
        LedgerBatch batch, string runId, int? index, string actionId, PolicyInput decided, Func<PolicyInput, Clearance> rule)
    {
        var (tenant, now, clearance) = await ClearNowAsync(decided, rule);
        batch.Add(runId, Actor.System, new KillSwitchCheckedPayload(
            index, actionId, decided.ActionType, now.KillSwitches, !clearance.Cleared, "before-ledger-flush", clearance.Policy, tenant?.ConfigVersion));
        if (clearance.Cleared)
        {
            await batch.FlushAsync();
            (tenant, now, clearance) = await ClearNowAsync(decided, rule);
            if (!clearance.Cleared)
            {
                batch.Add(runId, Actor.System, new KillSwitchCheckedPayload(
                    index, actionId, decided.ActionType, now.KillSwitches, true, "after-ledger-flush", clearance.Policy, tenant?.ConfigVersion));
            }
        }

        if (!clearance.Cleared) await batch.FlushAsync();
        return (clearance, tenant);
    }

    private async Task<(TenantSnapshot? Tenant, PolicyInput Now, Clearance Clearance)> ClearNowAsync(PolicyInput decided, Func<PolicyInput, Clearance> rule)
    {
        var tenant = await _tenant.NowOrNullAsync();
        var now = tenant?.Refresh(decided) ?? decided with { KillSwitches = KillSwitchState.Unknown };
        return (tenant, now, rule(now));
    }

    /// <summary>
    /// Calls the executor once per idempotency key (the caller cleared it) and ledgers the result. An answer that never
    /// comes back leaves the execution in flight, for the next tick to settle; a switch the execution grain found engaged
    /// since the clearance is ledgered as the stop.
    /// </summary>
    private async Task<Executed> ExecuteAsync(LedgerBatch batch, AccountState s, ExecutionRequest request, string? proposalId, ActionTypeSpec spec, PolicyResult result, Actor actor)
    {
        if (await CallExecutorAsync(request) is not { } outcome)
        {
            s = s with { InFlight = s.InFlight.SetItem(request.IdempotencyKey, new InFlightExecution(request.IdempotencyKey, request.RunId, proposalId)) };
            await CommitAsync(batch, s);
            return new Executed(s, ExecutionOutcome.Unsettled, null);
        }

        if (outcome.StoppedBy is { } stoppedBy)
        {
            batch.Add(request.RunId, Actor.System, new KillSwitchCheckedPayload(null, request.IdempotencyKey, request.ActionType, stoppedBy, true, "before-executor"));
            await batch.FlushAsync();
            return new Executed(s, ExecutionOutcome.Stopped, null, StoppedBy: stoppedBy);
        }

        var action = ActionOf(request, outcome, (result.Reason, result.Explanation, result.PolicyVersion), proposalId, spec.Revertible);
        s = Settle(batch, s, action, outcome.Executor, actor, recovered: null);
        AutonomyMetrics.Execution(request.ActionType, request.Autonomous, outcome.Succeeded);
        await CommitAsync(batch, s);
        return new Executed(s, ExecutionOutcome.Settled, action);
    }

    /// <summary>The execution grain's answer to one call; null when none came back (it stays in flight).</summary>
    private async Task<ExecutionResult?> CallExecutorAsync(ExecutionRequest request)
    {
        try
        {
            return await GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{request.IdempotencyKey}").ExecuteAsync(request);
        }
        catch (Exception ex) when (ex is not AutonomyException)
        {
            logger.LogWarning(ex, "Execution {ActionId} of {TenantId}/{AccountId} has no answer yet; it stays in flight", request.IdempotencyKey, TenantId, AccountId);
            return null;
        }
    }

    /// <summary>The action an executor's answer made, as the timeline shows it and ACTION_EXECUTED or ACTION_FAILED records it.</summary>
    private ActionView ActionOf(ExecutionRequest request, ExecutionResult result, (PolicyReason Reason, string Explanation, string Version) policy, string? proposalId, bool revertible) =>
        new(request.IdempotencyKey, request.RunId, AccountId, SellerId, request.ActionType, request.Parameters, request.Autonomous,
            result.Succeeded ? ActionStatus.Succeeded : ActionStatus.Failed, time.GetUtcNow(), policy.Reason, policy.Explanation, policy.Version, proposalId,
            result.Succeeded ? OutcomeV1.ExecutionSucceeded : OutcomeV1.ExecutionFailed, result.Detail, revertible);

    /// <summary>Ledgers an execution's result and outcome and keeps the action; it is no longer in flight.</summary>
    private static AccountState Settle(LedgerBatch batch, AccountState s, ActionView action, string executor, Actor actor, bool? recovered)
    {
        batch.Add(action.RunId, actor, new ActionResultPayload(action.ActionId, action, executor, action.ActionId, recovered));
        batch.Add(action.RunId, actor, new OutcomeRecordedPayload(action.ActionId, action.ProposalId, action.Outcome, OutcomeTaxonomyV1.Version));
        return s.WithAction(action) with { InFlight = s.InFlight.Remove(action.ActionId) };
    }

    /// <summary>Folds the ledger entries the stored snapshot does not hold yet, so no acknowledged signal is lost, and settles the executions they left open.</summary>
    private async Task ReplayAsync(CancellationToken cancellationToken)
    {
        var entries = new List<LedgerEntry>();
        for (IReadOnlyList<LedgerEntry> page; (page = await ledger.ReadStreamAsync(_stream!.StreamId, entries.Count > 0 ? entries[^1].Seq : state.State.LedgerSeq, 500, cancellationToken)).Count > 0;)
        {
            entries.AddRange(page);
        }

        // The replay read the stream to its end, so it knows the head: a new account's activation reads nothing more.
        if (entries.Count > 0) _stream!.StartAt(entries[^1].Seq, entries[^1].Hash);
        else if (state.State.LedgerSeq == 0) _stream!.StartAt(0, LedgerHash.Genesis);
        else await _stream!.InitializeAsync(cancellationToken);

        var registry = entries.Any(e => e.Type == LedgerTypes.SignalIngested) ? (await _tenant.NowAsync()).Triggers : null;
        (state.State, var replayed) = state.State.Replayed(entries, registry, Options.SignalIdMemory);
        AutonomyMetrics.Replayed(entries.Count);
        await RecoverInFlightAsync();
        if (entries.Count > 0)
        {
            logger.LogWarning("Account {TenantId}/{AccountId} replayed {Count} acknowledged signals ({Entries} entries) the snapshot missed", TenantId, AccountId, replayed, entries.Count);
            _unsaved = true;
            await SnapshotAsync();
        }
    }

    /// <summary>
    /// Settles the executions in flight: every one whose answer is recorded, and up to <see cref="ExecutorCallsPerRecovery"/>
    /// called again, rotating with the minute so an executor that never answers one does not starve the others.
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
    /// Settles one interrupted execution from its execution grain's record: answered, the result is ledgered; never
    /// called, nothing ran (an approved proposal stays pending); called without an answer, it is cleared again (kill
    /// switches and the policy as they are now, durable) and called again under the same idempotency key.
    /// </summary>
    private async Task<(AccountState State, bool CalledExecutor)> RecoverExecutionAsync(LedgerBatch batch, AccountState s, InFlightExecution execution, bool mayCallExecutor)
    {
        var (actionId, runId, proposalId) = (execution.ActionId, execution.RunId, execution.ProposalId);
        var grain = GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{actionId}");

        // An autonomous action's key is never used again: one never called is closed, so a late call cannot run it
        // after this ledgers that nothing ran. An approval's key is (the proposal stays pending for its human).
        var stored = proposalId is null ? await grain.CloseIfNeverCalledAsync() : await grain.GetAsync();
        if (stored.Request is not { } request) return (NotRun(batch, s, actionId, runId, proposalId, "Interrupted before the executor was called; nothing was executed."), false);

        var result = stored is { Status: ExecutionStatus.Done, Result: { } done } ? done : null;
        if (result is null)
        {
            // This pass may have made its executor call already: this one then waits for the next tick, unchanged.
            if (!mayCallExecutor) return (s, false);
            var retry = ExecutionClearance.RetryInput(request.ActionType, s.Lifecycle);
            if (!(await ClearToExecuteAsync(batch, request.RunId, null, actionId, retry, now => ExecutionClearance.Retry(request.Autonomous, now))).Clearance.Cleared)
            {
                return (NotRun(batch, s, actionId, request.RunId, proposalId, RetryStopped), false);
            }

            if (await CallExecutorAsync(request) is not { } answer) return (s with { InFlight = s.InFlight.SetItem(actionId, execution) }, true);
            if (answer.StoppedBy is { } stoppedBy)
            {
                batch.Add(request.RunId, Actor.System, new KillSwitchCheckedPayload(null, actionId, request.ActionType, stoppedBy, true, "before-executor"));
                return (NotRun(batch, s, actionId, request.RunId, proposalId, RetryStopped), true);
            }

            result = answer;
        }

        var pending = proposalId is null ? null : s.Pending.GetValueOrDefault(proposalId)?.View;
        var revertible = (await _tenant.NowAsync()).Catalog.GetValueOrDefault(request.ActionType)?.Revertible ?? false;
        var action = ActionOf(request, result, (pending?.Reason ?? PolicyReason.AllowedByPolicy, "Completed after an interruption. " + (pending?.Explanation ?? string.Empty),
            pending?.PolicyVersion ?? AutoApprovalPolicyV1.Version), proposalId, revertible);
        s = Settle(batch, s, action, result.Executor, Actor.System, recovered: true);
        if (proposalId is not null)
        {
            s = s.WithResolved(proposalId, actionId);
            await Owners.RemoveAsync(pending);
        }

        await Owners.RecordAsync(action);
        logger.LogWarning("Execution {ActionId} of {TenantId}/{AccountId} completed after an interruption", actionId, TenantId, AccountId);
        return (s, stored.Status != ExecutionStatus.Done);
    }

    /// <summary>An interrupted execution that will not run (again): an autonomous action ends failed (ledgered); an approved proposal stays pending.</summary>
    private static AccountState NotRun(LedgerBatch batch, AccountState s, string actionId, string runId, string? proposalId, string detail)
    {
        if (proposalId is null) batch.Add(runId, Actor.System, new ActionResultPayload(actionId, null, null, actionId, true, detail));
        return s with { InFlight = s.InFlight.Remove(actionId) };
    }
}

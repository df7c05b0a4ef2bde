namespace Autonomy.Accounts;

/// <summary>Execution, on every path: ledger flushed, kill switches and the policy re-read, executor called once per idempotency key.</summary>
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
        var (clearance, tenant) = await ClearToExecuteAsync(run.Batch, run.RunId, index, actionId, input, ExecutionClearance.Autonomous);
        if (!clearance.Cleared) return new Executed(s with { Budget = before.Budget }, ExecutionOutcome.Stopped, null, clearance.Policy);
        AutonomyMetrics.BudgetUsed(p.ActionType);
        var spec = tenant!.Catalog[p.ActionType];
        var request = Request(actionId, run.RunId, p.ActionType, p.Parameters, spec, tenant.Executor, autonomous: true);
        var executed = await ExecuteAsync(run.Batch, s, request, proposalId: null, spec, result, "system");
        return executed.StoppedBy is not { } stoppedBy
            ? executed with { Policy = result }
            : executed with { State = executed.State with { Budget = before.Budget }, Policy = ExecutionClearance.Autonomous(tenant.Refresh(input) with { KillSwitches = stoppedBy }).Policy };
    }

    /// <summary>
    /// The last gate before a side effect: reads the tenant (kill switches, modes, catalog, parameters, opt-in) and
    /// re-runs the policy on <paramref name="decided"/> under <paramref name="rule"/>, ledgering what it saw; then makes
    /// every step durable and reads and decides once more, so a switch engaged or a type disabled while the ledger was
    /// writing still stops the action. A tenant that cannot be read stops it (its switches count as engaged). Returns
    /// the clearance and, when cleared, the tenant it was cleared on (the action goes out as that configuration says);
    /// a stop is ledgered and flushed.
    /// </summary>
    private async Task<(Clearance Clearance, TenantSnapshot? Tenant)> ClearToExecuteAsync(
        LedgerBatch batch, string runId, int? index, string actionId, PolicyInput decided, Func<PolicyInput, Clearance> rule)
    {
        var (tenant, now, clearance) = await ClearNowAsync(decided, rule);
        batch.Add(LedgerTypes.KillSwitchChecked, runId, "system", new KillSwitchCheckedPayload(
            index, actionId, decided.ActionType, now.KillSwitches, !clearance.Cleared, "before-ledger-flush", clearance.Policy, tenant?.ConfigVersion));
        if (clearance.Cleared)
        {
            await batch.FlushAsync();
            (tenant, now, clearance) = await ClearNowAsync(decided, rule);
            if (!clearance.Cleared)
            {
                batch.Add(LedgerTypes.KillSwitchChecked, runId, "system", new KillSwitchCheckedPayload(
                    index, actionId, decided.ActionType, now.KillSwitches, true, "after-ledger-flush", clearance.Policy, tenant?.ConfigVersion));
            }
        }

        if (!clearance.Cleared) await batch.FlushAsync();
        return (clearance, tenant);
    }

    /// <summary>The tenant now (null: unreadable), the policy input on it, and the rule's answer on that input.</summary>
    private async Task<(TenantSnapshot? Tenant, PolicyInput Now, Clearance Clearance)> ClearNowAsync(PolicyInput decided, Func<PolicyInput, Clearance> rule)
    {
        var tenant = await FreshTenantAsync();
        var now = tenant?.Refresh(decided) ?? decided with { KillSwitches = KillSwitchState.Unknown };
        return (tenant, now, rule(now));
    }

    /// <summary>The tenant as it is now (switches read fresh, configuration by version); null when it cannot be read.</summary>
    private async Task<TenantSnapshot?> FreshTenantAsync()
    {
        try
        {
            return await TenantNowAsync();
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Tenant {TenantId} unreadable; its kill switches count as engaged", TenantId);
            return null;
        }
    }

    private ExecutionRequest Request(string actionId, string runId, string actionType, string parameters, ActionTypeSpec spec, ExecutorSettings executor, bool autonomous) =>
        new(actionId, TenantId, AccountId, actionType, parameters, runId, autonomous, ExecutorChoice.WebhookUrl(spec, executor));

    /// <summary>
    /// Calls the executor once per idempotency key (every step before it is durable: the caller cleared it) and
    /// ledgers the result. When the answer never comes back the execution stays in flight, recorded in state, and
    /// the run goes on with its other proposals; the next tick settles it. When the execution grain's own last read
    /// finds a switch engaged since the clearance, the stop is ledgered and the switches that stopped it returned.
    /// </summary>
    private async Task<Executed> ExecuteAsync(LedgerBatch batch, AccountState s, ExecutionRequest request, string? proposalId, ActionTypeSpec spec, PolicyResult result, string actor)
    {
        if (await CallExecutorAsync(request) is not { } outcome)
        {
            s = s with { InFlight = s.InFlight.SetItem(request.IdempotencyKey, new InFlightExecution(request.IdempotencyKey, request.RunId, proposalId)) };
            await CommitAsync(batch, s);
            return new Executed(s, ExecutionOutcome.Unsettled, null);
        }

        if (outcome.StoppedBy is { } stoppedBy)
        {
            batch.Add(LedgerTypes.KillSwitchChecked, request.RunId, "system", new KillSwitchCheckedPayload(null, request.IdempotencyKey, request.ActionType, stoppedBy, true, "before-executor"));
            await batch.FlushAsync();
            return new Executed(s, ExecutionOutcome.Stopped, null, StoppedBy: stoppedBy);
        }

        var action = ActionOf(request, outcome, (result.Reason, result.Explanation, result.PolicyVersion), proposalId, spec.Revertible);
        s = Settle(batch, s, action, outcome.Executor, actor, recovered: null);
        AutonomyMetrics.Execution(request.ActionType, request.Autonomous, outcome.Succeeded);
        await CommitAsync(batch, s);
        return new Executed(s, ExecutionOutcome.Settled, action);
    }

    /// <summary>The execution grain's answer to one call under the request's idempotency key; null when none came back (it stays in flight).</summary>
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
    private static AccountState Settle(LedgerBatch batch, AccountState s, ActionView action, string executor, string actor, bool? recovered)
    {
        batch.Add(
            action.Status == ActionStatus.Succeeded ? LedgerTypes.ActionExecuted : LedgerTypes.ActionFailed, action.RunId, actor,
            new ActionResultPayload(action.ActionId, action, executor, action.ActionId, recovered));
        batch.Add(LedgerTypes.OutcomeRecorded, action.RunId, actor, new OutcomeRecordedPayload(action.ActionId, action.ProposalId, action.Outcome, OutcomeTaxonomyV1.Version));
        return s.WithAction(action) with { InFlight = s.InFlight.Remove(action.ActionId) };
    }
}

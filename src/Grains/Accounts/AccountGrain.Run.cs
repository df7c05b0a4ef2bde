using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Autonomy.Actions;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.CostGate;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Outcomes;
using Autonomy.Perception;
using Autonomy.Policy;
using Autonomy.Schedules;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Autonomy.Triggers;
using Microsoft.Extensions.Logging;

namespace Autonomy.Accounts;

/// <summary>The decision flow: trigger -> cost gate -> engine -> ranking -> policy -> budget -> kill-switch re-check -> executor.</summary>
public sealed partial class AccountGrain
{
    public async Task PollAsync()
    {
        drafts.Clear();
        var now = time.GetUtcNow();
        await ExpireOverdueAsync(now);
        var s = state.State;
        if (s.Trigger.Window is null)
        {
            return;
        }

        if (s.DeferredUntil is { } deferred && now < deferred)
        {
            ScheduleWake();
            return;
        }

        var snapshot = await Tenant.GetSnapshotAsync(AccountId);
        var poll = DecisionTrigger.Poll(snapshot.Triggers, s.Trigger, now);
        if (poll.CapReached)
        {
            Draft(LedgerTypes.TriggerSuppressed, null, "system", new { reason = "HOURLY_CAP", heldUntil = poll.WakeAt, maxRunsPerHour = snapshot.Triggers.MaxRunsPerAccountPerHour });
        }

        if (poll.CapReached)
        {
            // Held once, ledgered once: later signals join the window without waking the account until the cap frees.
            await CommitAsync(s with { Trigger = poll.State, DeferredUntil = poll.WakeAt });
        }
        else if (poll.ShouldFire)
        {
            // The closed window is stored with the run's first step, so a run that fails before it keeps its signals.
            await RunAsync(poll.Fire[0].Type, poll.Fire, startedBySchedule: false, snapshot, s with { Trigger = poll.State, DeferredUntil = null });
        }
        else if (s.DeferredUntil is not null)
        {
            await CommitAsync(s with { Trigger = poll.State, DeferredUntil = null });
        }

        ScheduleWake();
    }

    /// <summary>The reminder tick: expire proposals, follow heat, and run the rituals that are due.</summary>
    private async Task TickAsync()
    {
        drafts.Clear();
        var now = time.GetUtcNow();
        await ExpireOverdueAsync(now);
        var s = state.State;
        if (!s.Exists)
        {
            return;
        }

        var ticks = RitualPlanner.Plan(Options.Rituals, JitterKey, s.ScheduledSince, s.RitualsHandled, s.RenewalDate, runInFlight: false, now);
        var handled = s.RitualsHandled;
        foreach (var tick in ticks)
        {
            Draft(LedgerTypes.ScheduleTick, null, "system", new { ritual = tick.Ritual, occurrence = tick.OccurrenceKey, tick.ScheduledAt, disposition = tick.Disposition, reason = tick.Reason });
            handled = handled.SetItem(tick.Ritual, tick.ScheduledAt);
        }

        await CommitAsync(state.State with { LastTickAt = now, RitualsHandled = handled, Heat = Heat.At(s.Heat!, now) });
        await EnsureReminderAsync();
        foreach (var tick in ticks.Where(t => t.Disposition == TickDisposition.Fire))
        {
            var snapshot = await Tenant.GetSnapshotAsync(AccountId);
            var (trigger, started) = DecisionTrigger.StartScheduledRun(snapshot.Triggers, state.State.Trigger, now);
            if (!started)
            {
                Draft(LedgerTypes.TriggerSuppressed, null, "system", new { reason = "HOURLY_CAP", ritual = tick.Ritual });
                await FlushAsync();
                continue;
            }

            await RunAsync(tick.Ritual, [new SignalRef(tick.OccurrenceKey, tick.Ritual, now, 1)], startedBySchedule: true, snapshot, state.State with { Trigger = trigger });
        }

        // The tick is also the heartbeat that picks up a window a failed wake left behind.
        await PollAsync();
    }

    private async Task RunAsync(string triggerType, ImmutableArray<SignalRef> signals, bool startedBySchedule, TenantSnapshot snapshot, AccountState s)
    {
        using var activity = AutonomyMetrics.Source.StartActivity("autonomy.decision-run");
        var now = time.GetUtcNow();
        var runId = Ids.NewRun(time);
        activity?.SetTag("autonomy.run_id", runId);
        Draft(LedgerTypes.TriggerFired, runId, "system", new { triggerType, startedBySchedule, signals, configVersion = snapshot.ConfigVersion });

        var inputs = InputsDigest(signals);
        var value = startedBySchedule ? 1.0 : signals.Sum(x => x.Value) + (0.1 * Heat.At(s.Heat!, now).Score);
        var gate = DecisionCostGate.EvaluateLocal(new GateInput(value, Options.MinMarginalValue, s.LastRunAt, Options.MinRunInterval, inputs, s.LastRunInputsDigest, now));
        RunBudgetReservation? reservation = null;
        if (gate.Verdict == GateVerdict.Allow)
        {
            reservation = await Tenant.ReserveDecisionRunAsync();
            gate = DecisionCostGate.WithBudget(gate, reservation);
        }

        Draft(LedgerTypes.CostGate, runId, "system", new { verdict = gate.Verdict, reason = gate.Reason, explanation = gate.Explanation, gate.RetryAt, marginalValue = value, inputsDigest = inputs, reservation });
        AutonomyMetrics.Gate(gate.Verdict.ToString(), gate.Reason.ToString());
        if (gate.Verdict == GateVerdict.Defer)
        {
            var held = new TriggerWindow(now, now, gate.RetryAt!.Value - now, gate.RetryAt.Value - now, signals);
            await CommitAsync(s with { Trigger = s.Trigger with { Window = held }, DeferredUntil = gate.RetryAt });
            return;
        }

        if (gate.Verdict == GateVerdict.Skip)
        {
            await CommitAsync(s);
            await Seller().RecordSkippedAsync(new SkippedItem(AccountId, runId, "COST_GATE", gate.Reason.ToString(), gate.Explanation, now));
            return;
        }

        var decision = await engine.ProposeAsync(new DecisionContext(TenantId, AccountId, runId, triggerType, signals, s.Lifecycle, s.Posture, s.Heat!.Score, snapshot.Playbook));
        var ranked = decision.Proposals.OrderByDescending(p => p.Confidence).ToImmutableArray();
        Draft(LedgerTypes.DecisionProposed, runId, "system", new { engine = decision.Engine, decision.Tokens, ranking = "engine-confidence", proposals = ranked.Select(p => new { p.ActionType, parameters = Json(p.Parameters), p.Confidence, p.Rationale, p.InputsUsed }) });
        s = s with { LastRunAt = now, LastRunInputsDigest = inputs, Counter = s.Counter + 1 };

        var waiting = new List<ProposalView>();
        var done = new List<ActionView>();
        for (var i = 0; i < ranked.Length; i++)
        {
            var p = ranked[i];
            var input = new PolicyInput(p.ActionType, snapshot.Catalog.GetValueOrDefault(p.ActionType), snapshot.ModeOf(p.ActionType), snapshot.KillSwitches, p.Confidence, s.Lifecycle, startedBySchedule, snapshot.AccountOptedIn, snapshot.Policy);
            var result = AutoApprovalPolicyV1.Evaluate(input);
            Draft(LedgerTypes.PolicyEvaluated, runId, "system", new { index = i, p.ActionType, parameters = Json(p.Parameters), input, result, configVersion = snapshot.ConfigVersion });

            if (result.Decision == PolicyDecision.AutoExecute)
            {
                var check = AutonomyBudget.Check(snapshot.Budget, s.Budget!, p.ActionType, now);
                Draft(LedgerTypes.BudgetChecked, runId, "system", new { index = i, p.ActionType, check, budget = snapshot.Budget });
                if (!check.Allowed)
                {
                    result = AutoApprovalPolicyV1.BudgetExhausted(check.Detail);
                    AutonomyMetrics.BudgetDowngraded(p.ActionType);
                }
            }

            AutonomyMetrics.Decision(result.Decision.ToString(), result.Reason.ToString());
            if (result.Decision == PolicyDecision.AutoExecute)
            {
                var (next, action) = await ExecuteAutonomousAsync(s, runId, i, p, input.Spec!, result, snapshot);
                s = next;
                if (action is not null)
                {
                    done.Add(action);
                    continue;
                }

                result = AutoApprovalPolicyV1.Evaluate(input with { KillSwitches = KillSwitchState.Unknown });
            }

            if (result.Reason == PolicyReason.ActionTypeDisabled)
            {
                continue;
            }

            var proposalId = Ids.Proposal(AccountId, $"{s.Counter}-{i}");
            var parameters = p.Parameters;
            var view = new ProposalView(
                proposalId, runId, AccountId, SellerId, p.ActionType, parameters, ArgsDigest.Compute(AccountId, p.ActionType, parameters), p.Confidence,
                result.Decision, result.Reason, result.Explanation, result.PolicyVersion, now, now + Options.ApprovalTtl, startedBySchedule);
            s = s with { Pending = s.Pending.SetItem(proposalId, new PendingProposal(view, snapshot.ConfigVersion)) };
            waiting.Add(view);
        }

        await CommitAsync(s);
        if (waiting.Count > 0)
        {
            await Seller().AddNeedsInputAsync([.. waiting]);
        }

        foreach (var action in done)
        {
            await Seller().RecordActionAsync(action);
        }
    }

    /// <summary>
    /// Counts the action against the budget (stored before the side effect, so a crash never under-counts), re-reads
    /// the kill switches, and executes. Returns no action when a switch stopped it (the budget is given back).
    /// </summary>
    private async Task<(AccountState State, ActionView? Action)> ExecuteAutonomousAsync(
        AccountState s, string runId, int index, ProposedAction p, ActionTypeSpec spec, PolicyResult result, TenantSnapshot snapshot)
    {
        var before = s;
        s = s with { Budget = AutonomyBudget.Consume(s.Budget!, p.ActionType, time.GetUtcNow()) };
        await CommitAsync(s);

        var actionId = Ids.Action(AccountId, $"{s.Counter}-{index}");
        var switches = await FreshKillSwitchesAsync();
        var stopped = switches.Stops(p.ActionType);
        Draft(LedgerTypes.KillSwitchChecked, runId, "system", new { index, actionId, p.ActionType, switches, stopped });
        if (!stopped)
        {
            // Every step is durable now; the last read of the switches is the only thing left between it and the
            // executor, so a switch engaged while the ledger was writing still stops this action.
            await FlushAsync();
            switches = await FreshKillSwitchesAsync();
            stopped = switches.Stops(p.ActionType);
            if (stopped)
            {
                Draft(LedgerTypes.KillSwitchChecked, runId, "system", new { index, actionId, p.ActionType, switches, stopped });
            }
        }

        if (stopped)
        {
            s = s with { Budget = before.Budget };
            await CommitAsync(s);
            return (s, null);
        }

        AutonomyMetrics.BudgetUsed(p.ActionType);
        var (executed, action) = await ExecuteAsync(s, runId, actionId, proposalId: null, p.ActionType, p.Parameters, spec, autonomous: true, result, snapshot.Executor, "system");
        return (executed, action);
    }

    /// <summary>The kill switches as they are now; when they cannot be read, the answer is "engaged".</summary>
    private async Task<KillSwitchState> FreshKillSwitchesAsync()
    {
        try
        {
            return await Tenant.GetKillSwitchesAsync();
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Kill switches of {TenantId} unreadable; failing closed", TenantId);
            return KillSwitchState.Unknown;
        }
    }

    /// <summary>Ledgers every step so far, calls the executor once per idempotency key, and ledgers the result.</summary>
    private async Task<(AccountState State, ActionView Action)> ExecuteAsync(
        AccountState s, string runId, string actionId, string? proposalId, string actionType, string parameters, ActionTypeSpec spec,
        bool autonomous, PolicyResult result, ExecutorSettings executor, string actor)
    {
        await FlushAsync();
        var internalType = spec.BuiltIn && !spec.ExternalContact && spec.RiskLevel == Actions.RiskLevel.Low;
        var request = new ExecutionRequest(actionId, TenantId, AccountId, actionType, parameters, runId, autonomous, executor.UsesWebhook(actionType, internalType) ? executor.WebhookUrl : null);
        var outcome = await GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{actionId}").ExecuteAsync(request);
        var action = new ActionView(
            actionId, runId, AccountId, SellerId, actionType, parameters, autonomous, outcome.Succeeded ? ActionStatus.Succeeded : ActionStatus.Failed,
            time.GetUtcNow(), result.Reason, result.Explanation, result.PolicyVersion, proposalId,
            outcome.Succeeded ? OutcomeV1.ExecutionSucceeded : OutcomeV1.ExecutionFailed, outcome.Detail, spec.Revertible);
        Draft(outcome.Succeeded ? LedgerTypes.ActionExecuted : LedgerTypes.ActionFailed, runId, actor, new { action, executor = outcome.Executor, idempotencyKey = actionId });
        Draft(LedgerTypes.OutcomeRecorded, runId, actor, new { actionId, proposalId, outcome = action.Outcome, taxonomy = OutcomeTaxonomyV1.Version });
        AutonomyMetrics.Execution(actionType, autonomous, outcome.Succeeded);
        s = s.WithAction(action);
        await CommitAsync(s);
        return (s, action);
    }

    private async Task ExpireOverdueAsync(DateTimeOffset now)
    {
        var overdue = state.State.Pending.Values.Where(p => p.View.ExpiresAt <= now).ToList();
        if (overdue.Count == 0)
        {
            return;
        }

        var s = state.State;
        foreach (var p in overdue)
        {
            Draft(LedgerTypes.ProposalResolved, p.View.RunId, "system", new { p.View.ProposalId, resolution = "EXPIRED", p.View.ExpiresAt });
            Draft(LedgerTypes.OutcomeRecorded, p.View.RunId, "system", new { p.View.ProposalId, outcome = OutcomeV1.Expired, taxonomy = OutcomeTaxonomyV1.Version });
            s = s with { Pending = s.Pending.Remove(p.View.ProposalId), Resolved = s.Resolved.SetItem(p.View.ProposalId, "EXPIRED") };
        }

        await CommitAsync(s);
        foreach (var p in overdue)
        {
            await Seller(p.View.SellerId).RemoveNeedsInputAsync(p.View.ProposalId);
        }
    }

    private static string InputsDigest(ImmutableArray<SignalRef> signals) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', signals.Select(x => $"{x.Type}|{x.Id}").Order(StringComparer.Ordinal)))));
}

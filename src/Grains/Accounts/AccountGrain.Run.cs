using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Autonomy.Actions;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.CostGate;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Perception;
using Autonomy.Policy;
using Autonomy.Schedules;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Autonomy.Triggers;

namespace Autonomy.Accounts;

/// <summary>
/// The decision flow: trigger -> cost gate -> engine -> ranking -> policy -> budget -> kill-switch re-check -> executor.
/// The gate and the engine call (with its token settlement and fallback) are in AccountGrain.Cost.cs.
/// </summary>
public sealed partial class AccountGrain
{
    public async Task PollAsync()
    {
        var now = time.GetUtcNow();
        await ExpireOverdueAsync(now);
        var s = state.State;
        // Nothing due: no window, a parked one (it waits for a signal or a ritual), or a deferred run not yet due.
        if (s.Trigger.Window is null or { IsParked: true } || (s.DeferredUntil is { } deferred && now < deferred))
        {
            ScheduleWake();
            return;
        }

        var batch = NewBatch();
        var snapshot = await TenantNowAsync();
        var poll = DecisionTrigger.Poll(snapshot.Triggers, s.Trigger, now);
        if (poll.CapReached)
        {
            // Held once, ledgered once: later signals join the window without waking the account until the cap frees.
            batch.Add(LedgerTypes.TriggerSuppressed, null, "system", new { reason = "HOURLY_CAP", heldUntil = poll.WakeAt, maxRunsPerHour = snapshot.Triggers.MaxRunsPerAccountPerHour });
            await CommitAsync(batch, s with { Trigger = poll.State, DeferredUntil = poll.WakeAt });
        }
        else if (poll.Fired is { } window)
        {
            // The closed window is stored with the run's first step, so a run that fails before it keeps its signals.
            var run = new DecisionRun(Ids.NewRun(time), window.Signals[0].Type, window, snapshot, batch, now);
            await RunAsync(run, s with { Trigger = poll.State, DeferredUntil = null });
        }
        else if (s.DeferredUntil is not null)
        {
            await CommitAsync(batch, s with { Trigger = poll.State, DeferredUntil = null });
        }

        ScheduleWake();
    }

    /// <summary>A ritual that is due: a run of its own, counted against the hourly cap, marked as started by a schedule.</summary>
    private async Task RunScheduledAsync(RitualTick tick, DateTimeOffset now)
    {
        var batch = NewBatch();
        var snapshot = await TenantNowAsync();
        var (trigger, started) = DecisionTrigger.StartScheduledRun(snapshot.Triggers, state.State.Trigger, now);
        if (!started)
        {
            batch.Add(LedgerTypes.TriggerSuppressed, null, "system", new { reason = "HOURLY_CAP", ritual = tick.Ritual });
            await batch.FlushAsync();
            return;
        }

        // Parked low-value signals ride along: the ritual's run sees them (and decides them at the latest).
        (trigger, var window) = DecisionTrigger.TakeParked(trigger, TriggerWindow.Scheduled(new SignalRef(tick.OccurrenceKey, tick.Ritual, now, MarginalValue.RitualValue(tick.Ritual)), now));
        await RunAsync(new DecisionRun(Ids.NewRun(time), tick.Ritual, window, snapshot, batch, now), state.State with { Trigger = trigger });
    }

    /// <summary>The flow of DESIGN.md, one step a line. Nothing reaches the engine unless the gate allows it.</summary>
    private async Task RunAsync(DecisionRun run, AccountState s)
    {
        using var activity = AutonomyMetrics.Source.StartActivity("autonomy.decision-run");
        activity?.SetTag("autonomy.run_id", run.RunId);
        run.Batch.Add(LedgerTypes.TriggerFired, run.RunId, "system", new TriggerFiredPayload(run.TriggerType, run.StartedBySchedule, run.Window.Signals, run.Window.SignalCount, run.Snapshot.ConfigVersion));
        var (gate, engine) = await GateAsync(run, s);
        if (gate.Verdict != GateVerdict.Allow)
        {
            await HoldOrSkipAsync(run, s, gate);
            return;
        }

        if (await DecideAsync(run, s, engine) is not { } decision)
        {
            return;
        }

        var proposals = await ProposeAsync(run, s, decision);
        (s, var optedIn) = await OptedInNowAsync(run, s);
        s = s with { LastRunAt = run.Now, LastRunInputsDigest = InputsDigest(run.Window), Counter = s.Counter + 1 };
        var routed = ImmutableArray.CreateBuilder<RoutedProposal>(proposals.Length);
        foreach (var proposal in proposals)
        {
            var result = await RouteProposalAsync(run, s, proposal, optedIn);
            s = result.State;
            routed.Add(result);
        }

        await CommitAsync(run.Batch, s);
        await PublishAsync(routed.ToImmutable());
    }

    /// <summary>The engine's proposals, ordered for display (ranking), ledgered with what they used.</summary>
    private async Task<ImmutableArray<RankedProposal>> ProposeAsync(DecisionRun run, AccountState s, DecisionResult decision)
    {
        var (ranked, ranking) = await RankAsync(run, s, decision.Proposals);
        run.Batch.Add(LedgerTypes.DecisionProposed, run.RunId, "system", new DecisionProposedPayload(
            decision.Engine, decision.Tokens, ranking.Ranker, [.. ranked.Select(p => new ProposalEntry(p.ActionType, Json(p.Parameters), p.Confidence, p.Rationale, p.InputsUsed))]));
        LogRanking(run, ranked, ranking);
        return [.. ranked.Select((p, i) => new RankedProposal(i, p, ranking.At(i)))];
    }

    /// <summary>
    /// Routes one proposal: policy, budget, then execution or the human queue. Returns the account after it, with the
    /// proposal left waiting or the action done, and whatever a full queue expired to make room.
    /// </summary>
    private async Task<RoutedProposal> RouteProposalAsync(DecisionRun run, AccountState s, RankedProposal proposal, bool optedIn)
    {
        var (index, p, ranking) = proposal;
        var snapshot = run.Snapshot;
        var input = new PolicyInput(p.ActionType, snapshot.Catalog.GetValueOrDefault(p.ActionType), snapshot.ModeOf(p.ActionType), snapshot.KillSwitches, p.Confidence, s.Lifecycle, run.StartedBySchedule, optedIn, snapshot.Policy);
        var result = AutoApprovalPolicyV1.Evaluate(input);
        run.Batch.Add(LedgerTypes.PolicyEvaluated, run.RunId, "system", new PolicyEvaluatedPayload(index, p.ActionType, Json(p.Parameters), input, result, snapshot.ConfigVersion));
        if (result.Decision == PolicyDecision.AutoExecute)
        {
            result = CheckBudget(run, s, index, p.ActionType, result);
        }

        AutonomyMetrics.Decision(result.Decision.ToString(), result.Reason.ToString());
        if (result.Decision == PolicyDecision.AutoExecute)
        {
            var (next, outcome, action, cleared) = await ExecuteAutonomousAsync(run, s, index, p, input, result);
            s = next;
            if (outcome != ExecutionOutcome.Stopped)
            {
                return new RoutedProposal(s, null, action, []);
            }

            // Stopped at the clearance: the proposal waits (or, now disabled, goes) under the policy's answer of that moment.
            result = cleared;
        }

        if (result.Reason == PolicyReason.ActionTypeDisabled)
        {
            return new RoutedProposal(s, null, null, []);
        }

        var view = new ProposalView(
            Ids.Proposal(AccountId, $"{s.Counter}-{index}"), run.RunId, AccountId, SellerId, p.ActionType, p.Parameters, ArgsDigest.Compute(AccountId, p.ActionType, p.Parameters), p.Confidence,
            result.Decision, result.Reason, result.Explanation, result.PolicyVersion, run.Now, run.Now + Options.ApprovalTtl, run.StartedBySchedule, ranking);
        var (queued, evicted) = AddPending(run.Batch, s, new PendingProposal(view, snapshot.ConfigVersion));
        return new RoutedProposal(queued, view, null, evicted);
    }

    /// <summary>The autonomy budget: an allowed action beyond it is downgraded to REQUIRE_APPROVAL (BUDGET_EXHAUSTED).</summary>
    private PolicyResult CheckBudget(DecisionRun run, AccountState s, int index, string actionType, PolicyResult result)
    {
        var check = AutonomyBudget.Check(run.Snapshot.Budget, s.Budget!, actionType, run.Now);
        if (check.Allowed && s.InFlight.Count >= AccountState.MaxInFlight)
        {
            // Executions of unknown outcome count too: nothing more runs alone until recovery has settled them.
            check = check with { Allowed = false, Detail = $"{s.InFlight.Count} executions await their result" };
        }

        run.Batch.Add(LedgerTypes.BudgetChecked, run.RunId, "system", new BudgetCheckedPayload(index, actionType, check, run.Snapshot.Budget));
        if (check.Allowed)
        {
            return result;
        }

        AutonomyMetrics.BudgetDowngraded(actionType);
        return AutoApprovalPolicyV1.BudgetExhausted(check.Detail);
    }

    /// <summary>
    /// Mode 4 as it stands now: the tenant's opt-in, and the owner's digest still switched on. A stale opt-in (the
    /// digest was switched off) is revoked here, ledgered, so the policy never reads a flag that no longer holds.
    /// </summary>
    private async Task<(AccountState State, bool OptedIn)> OptedInNowAsync(DecisionRun run, AccountState s)
    {
        if (!run.StartedBySchedule || !run.Snapshot.AccountOptedIn)
        {
            return (s, false);
        }

        if (Seller() is { } seller && (await seller.GetDigestSettingsAsync()).Enabled)
        {
            return (s, true);
        }

        await RevokeOptInAsync(run.Batch, s.OwnerId, "OWNER_DIGEST_DISABLED", "The owner's daily digest is switched off; autonomous schedules need it on.");
        return (s, false);
    }

    /// <summary>Lifecycle and posture changes are triggers of their own (LIFECYCLE_CHANGED, POSTURE_CHANGED).</summary>
    private async Task<AccountState> OfferChangeTriggersAsync(LedgerBatch batch, AccountState before, AccountState next, DateTimeOffset now)
    {
        var changes = new List<string>();
        if (before.Exists && before.Lifecycle != next.Lifecycle)
        {
            changes.Add(TriggerRegistry.LifecycleChanged);
        }

        if (before.Exists && before.Posture != next.Posture)
        {
            changes.Add(TriggerRegistry.PostureChanged);
        }

        if (changes.Count == 0)
        {
            return next;
        }

        // A change is offered like a signal, so it uses the ingest path's registry (it decides no safety question).
        var registry = await TriggersAsync(now);
        foreach (var type in changes)
        {
            var outcome = DecisionTrigger.OnSignal(registry, next.Trigger, new SignalRef($"{type}:{stream!.Seq + 1}", type, now, 1.0), now);
            next = next with { Trigger = outcome.State };
            if (outcome.Verdict != TriggerVerdict.Accepted)
            {
                batch.Add(LedgerTypes.TriggerSuppressed, null, "system", new { type, reason = outcome.Verdict, outcome.Explanation });
            }
        }

        return next;
    }

    /// <summary>Hands the run's results to the owner's views: proposals to needs-input, actions to the timeline.</summary>
    private async Task PublishAsync(ImmutableArray<RoutedProposal> routed)
    {
        if (Seller() is not { } seller)
        {
            return;
        }

        foreach (var evicted in routed.SelectMany(r => r.Evicted))
        {
            await seller.RemoveNeedsInputAsync(evicted.ProposalId);
        }

        if (routed.Any(r => r.Waiting is not null))
        {
            await seller.AddNeedsInputAsync([.. routed.Select(r => r.Waiting).OfType<ProposalView>()]);
        }

        foreach (var action in routed.Select(r => r.Done).OfType<ActionView>())
        {
            await seller.RecordActionAsync(action);
        }
    }

    private static string InputsDigest(TriggerWindow window) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', window.Signals.Select(x => $"{x.Type}|{x.Id}").Order(StringComparer.Ordinal)) + $"\n#{window.SignalCount}")));
}

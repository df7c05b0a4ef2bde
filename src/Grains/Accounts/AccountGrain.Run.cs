namespace Autonomy.Accounts;

/// <summary>
/// The decision flow: trigger -> cost gate -> engine -> ranking -> policy -> budget -> kill-switch re-check -> executor.
/// Each step takes the run and its inputs and returns its result; the gate is RunCostGate, the engine step in AccountGrain.Engine.cs.
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
            await GuardPendingRunAsync();
            return;
        }

        var batch = NewBatch();
        var snapshot = await _tenant.NowAsync();
        var poll = DecisionTrigger.Poll(snapshot.Triggers, s.Trigger, now);
        if (poll.CapReached)
        {
            // Held once, ledgered once: later signals join the window without waking the account until the cap frees.
            batch.Add(null, Actor.System, TriggerSuppressedPayload.HourlyCap(poll.WakeAt, snapshot.Triggers.MaxRunsPerAccountPerHour));
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
        await GuardPendingRunAsync();
    }

    /// <summary>A ritual that is due: a run of its own, counted against the hourly cap, marked as started by a schedule.</summary>
    private async Task RunScheduledAsync(RitualTick tick, DateTimeOffset now)
    {
        var batch = NewBatch();
        var snapshot = await _tenant.NowAsync();
        var (trigger, started) = DecisionTrigger.StartScheduledRun(snapshot.Triggers, state.State.Trigger, now);
        if (!started)
        {
            batch.Add(null, Actor.System, TriggerSuppressedPayload.RitualAtHourlyCap(tick.Ritual));
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
        using var activity = (_runTrace ?? new RunTrace()).StartRun(run.RunId, run.StartedBySchedule);
        _runTrace = null; // the run took what it traced: nothing stays resident for the next one
        run.Batch.Add(run.RunId, Actor.System, new TriggerFiredPayload(run.TriggerType, run.StartedBySchedule, run.Window.Signals, run.Window.SignalCount, run.Snapshot.ConfigVersion));
        var (gate, engine) = await Gate.EvaluateAsync(run, s, ContextOf(run, s));
        if (gate.Verdict != GateVerdict.Allow)
        {
            await HoldOrSkipAsync(run, s, gate);
            return;
        }

        if (await DecideAsync(run, s, engine) is not { } decision) return;
        var proposals = await RankAsync(run, s, Screen(run, decision));
        (s, var optedIn) = await OptedInNowAsync(run, s);
        s = s with { LastRunAt = run.Now, LastRunInputsDigest = run.Window.InputsDigest(), Counter = s.Counter + 1 };
        var routed = ImmutableArray.CreateBuilder<RoutedProposal>(proposals.Length);
        foreach (var proposal in proposals)
        {
            routed.Add(await RouteProposalAsync(run, s, proposal, optedIn));
            s = routed[^1].State;
        }

        await CommitAsync(run.Batch, s);
        await Owners.PublishAsync(s.OwnerId, routed.ToImmutable());
        this.PublishLive(new LiveEvent(LiveEventKinds.Run, TenantId, SellerId, AccountId, run.RunId, run.Now), logger);
    }

    /// <summary>
    /// Between any engine and the policy: parameters outside their type's schema are kept out, and a chat answer's
    /// confidence is capped by the tenant's setting (both recorded in DECISION_PROPOSED).
    /// </summary>
    private static ScreenedDecision Screen(DecisionRun run, DecisionResult decision)
    {
        var cap = decision.Engine == ChatEngine.Name ? run.Snapshot.EngineSettings.ChatConfidenceCap : (double?)null;
        var screened = ProposalScreen.Screen(decision, run.Snapshot.Catalog, cap);
        foreach (var rejected in screened.ScreenedOut) AutonomyMetrics.ProposalScreenedOut(rejected.ActionType, decision.Engine);
        return screened;
    }

    /// <summary>
    /// The ranking step: the active model (or the prior, the engine's confidence) orders the proposals for display.
    /// DECISION_PROPOSED records them, then PROPOSALS_RANKED what each one's ranking saw: the record learning joins to.
    /// </summary>
    private async Task<ImmutableArray<RankedProposal>> RankAsync(DecisionRun run, AccountState s, ScreenedDecision screened)
    {
        var decision = screened.Decision;
        var pointer = run.Snapshot.Ranking ?? RankingPointer.Prior;
        var tier = Heat.At(s.Heat!, run.Now).Tier;
        var signals = run.Window.Signals.Select(x => x.Type).Distinct().Order(StringComparer.Ordinal).ToImmutableArray();
        var (ranked, r) = RunRanking.Rank(await _tenant.RankingModelAsync(pointer.Version), pointer.ExplorationRate, run.RunId, decision.Proposals,
            p => new RankingContext(p.ActionType, run.TriggerType, signals, tier, s.Lifecycle, s.Posture, SellerId, p.Confidence));
        run.Batch.Add(run.RunId, Actor.System, new DecisionProposedPayload(
            decision.Engine, decision.Tokens, r.Ranker,
            [.. ranked.Select((p, i) => new ProposalEntry(p.ActionType, Json(p.Parameters), p.Confidence, p.Rationale, p.InputsUsed, screened.EngineConfidenceOf(r.EngineIndexes[i])))],
            screened.ConfidenceCap, screened.ScreenedOut.IsEmpty ? null : screened.ScreenedOut));
        if (!ranked.IsEmpty)
        {
            var entries = r.Proposals.Select((p, i) => new RankedProposalEntry(
                p.Position, r.EngineIndexes[i], ranked[i].ActionType, p.Features, ranked[i].Confidence, p.Score, p.CalibratedConfidence, p.Propensity));
            run.Batch.Add(run.RunId, Actor.System, new ProposalsRankedPayload(r.Ranker, AccountId, SellerId, r.ExplorationRate, [.. entries]));
        }

        return [.. ranked.Select((p, i) => new RankedProposal(i, p, r.At(i)))];
    }

    /// <summary>
    /// Routes one proposal: policy, autonomy budget (beyond it a human decides), then execution or the human queue.
    /// Returns the account after it, the proposal waiting or the action done, and what a full queue expired.
    /// </summary>
    private async Task<RoutedProposal> RouteProposalAsync(DecisionRun run, AccountState s, RankedProposal proposal, bool optedIn)
    {
        var (index, p, ranking) = proposal;
        var snapshot = run.Snapshot;
        var input = snapshot.InputFor(p.ActionType, p.Confidence, s.Lifecycle, run.StartedBySchedule, optedIn);
        var result = AutoApprovalPolicyV1.Evaluate(input);
        run.Batch.Add(run.RunId, Actor.System, new PolicyEvaluatedPayload(index, p.ActionType, Json(p.Parameters), input, result, snapshot.ConfigVersion));
        if (result.Decision == PolicyDecision.AutoExecute)
        {
            var check = AutonomyBudget.Check(snapshot.Budget, s.Budget!, p.ActionType, run.Now, s.InFlight.Count, AccountState.MaxInFlight);
            run.Batch.Add(run.RunId, Actor.System, new BudgetCheckedPayload(index, p.ActionType, check, run.Snapshot.Budget));
            if (!check.Allowed)
            {
                AutonomyMetrics.BudgetDowngraded(p.ActionType);
                result = AutoApprovalPolicyV1.BudgetExhausted(check.Detail);
            }
        }

        AutonomyMetrics.Decision(result.Decision.ToString(), result.Reason.ToString());
        if (result.Decision == PolicyDecision.AutoExecute)
        {
            var executed = await ExecuteAutonomousAsync(run, s, index, p, input, result);
            if (executed.Outcome != ExecutionOutcome.Stopped) return new RoutedProposal(executed.State, null, executed.Action, []);

            // Stopped at the clearance: the proposal waits (or, now disabled, goes) under the policy's answer of that moment.
            (s, result) = (executed.State, executed.Policy!.Value);
        }

        if (result.Reason == PolicyReason.ActionTypeDisabled) return new RoutedProposal(s, null, null, []);
        var view = new ProposalView(
            Ids.Proposal(AccountId, $"{s.Counter}-{index}"), run.RunId, AccountId, SellerId, p.ActionType, p.Parameters, ArgsDigest.Compute(AccountId, p.ActionType, p.Parameters), p.Confidence,
            result.Decision, result.Reason, result.Explanation, result.PolicyVersion, run.Now, run.Now + Options.ApprovalTtl, run.StartedBySchedule, ranking);
        var (queued, evicted) = s.Queued(new PendingProposal(view, snapshot.ConfigVersion));
        foreach (var expired in evicted) AddExpired(run.Batch, expired, "queue-full");
        return new RoutedProposal(queued, view, null, evicted);
    }

    /// <summary>Mode 4 as it stands now: the tenant's opt-in and the owner's digest on; a stale opt-in is revoked here, ledgered.</summary>
    private async Task<(AccountState State, bool OptedIn)> OptedInNowAsync(DecisionRun run, AccountState s)
    {
        if (!run.StartedBySchedule || !run.Snapshot.AccountOptedIn) return (s, false);
        if (Owners.Of(s.OwnerId) is { } seller && (await seller.GetDigestSettingsAsync()).Enabled) return (s, true);
        await RevokeOptInAsync(run.Batch, s.OwnerId, "OWNER_DIGEST_DISABLED", "The owner's daily digest is switched off; autonomous schedules need it on.");
        return (s, false);
    }
}

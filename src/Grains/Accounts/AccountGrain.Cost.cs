namespace Autonomy.Accounts;

/// <summary>
/// The cost gate and the engine step: local checks, then the tenant's token budget (for a metered engine, whose call is
/// quoted in tokens) and run budget, each counted in one grain. A metered call settles its tokens itself
/// (<see cref="IMeteredEngine"/>); when it cannot answer, the tenant's fallback (defer or playbook) decides.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>The cost gate: local checks first, then tokens (chat engine only) and one run reserved from the tenant's daily budgets.</summary>
    private async Task<GateStep> GateAsync(DecisionRun run, AccountState s)
    {
        var inputs = run.Window.InputsDigest();
        var budget = run.Snapshot.CostBudget;
        var thresholds = budget.Thresholds(new GateThresholds(Options.MinMarginalValue, Options.MinRunInterval));
        var value = MarginalValue.Of(run.Window, Heat.At(s.Heat!, run.Now).Score, s.LastRunAt, run.Now);
        var gate = DecisionCostGate.EvaluateLocal(new GateInput(value.Value, thresholds.MinMarginalValue, s.LastRunAt, thresholds.MinRunInterval, inputs, s.LastRunInputsDigest, run.Now));
        var settings = run.Snapshot.EngineSettings;
        RunBudgetReservation? runs = null;
        TokenReservation? tokens = null;
        EngineQuote? quote = null;
        var tokenFallback = false;
        if (gate.Verdict == GateVerdict.Allow && settings.UsesChat)
        {
            quote = metered.Quote(ContextOf(run, s), run.Snapshot);
            tokens = await TokenBudget.ReserveAsync(run.RunId, quote.Tokens, budget.EngineTokensPerDay);
            // Out of tokens: the tenant's fallback defers the run or has the playbook answer it.
            (gate, tokenFallback) = tokens.Granted ? (gate, false) : settings.Fallback == EngineFallback.Defer ? (DecisionCostGate.WithTokens(gate, tokens), false) : (gate, true);
        }

        if (gate.Verdict == GateVerdict.Allow)
        {
            runs = await GrainFactory.GetGrain<IRunCounterGrain>(TenantId).ReserveAsync(budget.DecisionRunsPerDay);
            gate = DecisionCostGate.WithBudget(gate, runs);

            // No run, no call: the tokens go back at once.
            if (!runs.Granted && tokens is { Granted: true }) await TokenBudget.SettleAsync(run.RunId, 0, budget.EngineTokensPerDay);
        }

        gate = DecisionCostGate.SpreadRefill(gate, StablePhase.Of($"{JitterKey}/refill"));
        var plan = new EnginePlan(settings, quote, tokens);
        var engineName = gate.Verdict != GateVerdict.Allow ? null : plan.UsesChat ? ChatEngine.Name : PlaybookEngine.Name;
        run.Batch.Add(run.RunId, Actor.System, new CostGatePayload(
            gate.Verdict, gate.Reason, gate.Explanation, gate.RetryAt, value.Value, inputs, runs, tokens, value, thresholds, engineName));
        if (gate.Reason == GateReason.TokenBudgetExhausted)
        {
            AddFallback(run, "TOKEN_BUDGET_EXHAUSTED", EngineFallback.Defer, gate.RetryAt, gate.Explanation);
        }
        else if (tokenFallback && gate.Verdict == GateVerdict.Allow)
        {
            AddFallback(run, "TOKEN_BUDGET_EXHAUSTED", EngineFallback.Playbook, null, DecisionCostGate.WithTokens(gate, tokens!).Explanation + " The playbook answers this run.");
        }

        AutonomyMetrics.Gate(gate.Verdict.ToString(), gate.Reason.ToString());
        return new GateStep(gate, plan);
    }

    /// <summary>
    /// DEFER holds the run's window until the retry time; SKIP parks a low-value window's signals for the next signal or
    /// ritual (a duplicate's are dropped), gives back the run's hourly-cap slot and tells the owner's digest.
    /// </summary>
    private async Task HoldOrSkipAsync(DecisionRun run, AccountState s, GateResult gate)
    {
        if (gate.Verdict == GateVerdict.Defer)
        {
            await HoldAsync(run, s, gate.RetryAt!.Value);
            return;
        }

        var released = DecisionTrigger.Release(s.Trigger, run.Now);
        await CommitAsync(run.Batch, s with { Trigger = gate.Reason == GateReason.LowMarginalValue ? DecisionTrigger.Park(released, run.Window, MarginalValue.IsRitual, run.Now) : released });
        await (Seller()?.RecordSkippedAsync(new SkippedItem(AccountId, run.RunId, "COST_GATE", gate.Reason.ToString(), gate.Explanation, run.Now)) ?? Task.CompletedTask);
    }

    /// <summary>Keeps every signal of the window for a run at <paramref name="retry"/>, giving back the run's hourly-cap slot (the held run claims one).</summary>
    private Task HoldAsync(DecisionRun run, AccountState s, DateTimeOffset retry) =>
        CommitAsync(run.Batch, s with { Trigger = DecisionTrigger.Hold(DecisionTrigger.Release(s.Trigger, run.Now), run.Window, retry), DeferredUntil = retry });

    /// <summary>The engine's answer for an allowed run, or null when the chat engine failed and the tenant defers (the run is then held).</summary>
    private async Task<DecisionResult?> DecideAsync(DecisionRun run, AccountState s, EnginePlan plan)
    {
        var context = ContextOf(run, s);
        if (plan is not { UsesChat: true } || plan.Settings.Chat is not { } chat) return await engine.ProposeAsync(context);

        // Ledger first: the account's context leaves for the tenant's endpoint only once the run's trigger and the
        // gate's ALLOW (naming the engine) are durable, as before every other outbound call.
        await run.Batch.FlushAsync();
        var (outcome, charged, cost, settlement) = await metered.CallAsync(plan.Quote!, plan.Tokens!);
        run.Batch.Add(run.RunId, Actor.System, new EngineCalledPayload(
            ChatEngine.Name, outcome.Model ?? chat.Model, outcome.Result, outcome.PromptTokens, outcome.CompletionTokens, charged, cost, plan.Tokens!.Tokens, settlement,
            outcome.Decision?.Proposals.Length ?? 0, outcome.Rejected, outcome.Detail, (long)outcome.Elapsed.TotalMilliseconds));
        AutonomyMetrics.EngineCalled(ChatEngine.Name, outcome.Result.ToString(), outcome.PromptTokens ?? 0, outcome.CompletionTokens ?? 0, cost, outcome.Rejected.Length, settlement?.Overrun ?? 0);
        if (outcome.Result == ChatCallResult.Ok) return outcome.Decision;
        if (plan.Settings.Fallback == EngineFallback.Playbook)
        {
            AddFallback(run, outcome.FailureReason, EngineFallback.Playbook, null, $"The chat engine gave no usable answer ({outcome.Detail}); the playbook answers this run.");
            return await engine.ProposeAsync(context);
        }

        var retry = run.Now + metered.DeferAfterFailure;
        AddFallback(run, outcome.FailureReason, EngineFallback.Defer, retry, $"The chat engine gave no usable answer ({outcome.Detail}); the run is deferred to {retry:O} with its signals.");
        await HoldAsync(run, s, retry);
        return null;
    }

    /// <summary>ENGINE_FALLBACK: which fallback answered (or deferred) the run, and why; counted by reason.</summary>
    private static void AddFallback(DecisionRun run, string reason, EngineFallback fallback, DateTimeOffset? retryAt, string explanation)
    {
        run.Batch.Add(run.RunId, Actor.System, new EngineFallbackPayload(reason, EngineSettings.Wire(fallback).ToUpperInvariant(), retryAt, explanation));
        AutonomyMetrics.EngineFallback(reason, EngineSettings.Wire(fallback));

        // The gate's own DEFERs are counted with the gate; a deferral after a failed call is counted here.
        if (fallback == EngineFallback.Defer && reason != "TOKEN_BUDGET_EXHAUSTED") AutonomyMetrics.Deferred(reason);
    }

    private DecisionContext ContextOf(DecisionRun run, AccountState s) =>
        new(TenantId, AccountId, run.RunId, run.TriggerType, run.Window.Signals, s.Lifecycle, s.Posture, s.Heat!.Score, run.Snapshot.Playbook);
}

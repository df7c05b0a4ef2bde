using Autonomy.Accounts;

namespace Autonomy.CostGate;

/// <summary>
/// What a run is worth, and whether it may spend: the core's local checks (marginal value, minimum interval, same
/// inputs), then, for the chat engine, the tenant's tokens for the quoted call, then one run from the tenant's daily
/// budget, each counted in one grain (<see cref="ITokenBudgetGrain"/>, <see cref="IRunCounterGrain"/>). Ledgers
/// COST_GATE (and ENGINE_FALLBACK when the tokens ran out) on the run's batch.
/// </summary>
internal sealed class RunCostGate(IGrainFactory grains, IMeteredEngine metered, string tenantId, string jitterKey, GateThresholds defaults)
{
    public async Task<GateStep> EvaluateAsync(DecisionRun run, AccountState s, DecisionContext context)
    {
        var inputs = run.Window.InputsDigest();
        var budget = run.Snapshot.CostBudget;
        var thresholds = budget.Thresholds(defaults);
        var value = MarginalValue.Of(run.Window, Heat.At(s.Heat!, run.Now).Score, s.LastRunAt, run.Now);
        var gate = DecisionCostGate.EvaluateLocal(new GateInput(value.Value, thresholds.MinMarginalValue, s.LastRunAt, thresholds.MinRunInterval, inputs, s.LastRunInputsDigest, run.Now));
        var settings = run.Snapshot.EngineSettings;
        var tokenBudget = grains.GetGrain<ITokenBudgetGrain>(tenantId);
        RunBudgetReservation? runs = null;
        TokenReservation? tokens = null;
        EngineQuote? quote = null;
        var tokenFallback = false;
        if (gate.Verdict == GateVerdict.Allow && settings.UsesChat)
        {
            quote = metered.Quote(context, run.Snapshot);
            tokens = await tokenBudget.ReserveAsync(run.RunId, quote.Tokens, budget.EngineTokensPerDay);
            // Out of tokens: the tenant's fallback defers the run or has the playbook answer it.
            (gate, tokenFallback) = tokens.Granted ? (gate, false) : settings.Fallback == EngineFallback.Defer ? (DecisionCostGate.WithTokens(gate, tokens), false) : (gate, true);
        }

        if (gate.Verdict == GateVerdict.Allow)
        {
            runs = await grains.GetGrain<IRunCounterGrain>(tenantId).ReserveAsync(budget.DecisionRunsPerDay);
            gate = DecisionCostGate.WithBudget(gate, runs);

            // No run, no call: the tokens go back at once.
            if (!runs.Granted && tokens is { Granted: true }) await tokenBudget.SettleAsync(run.RunId, 0, budget.EngineTokensPerDay);
        }

        gate = DecisionCostGate.SpreadRefill(gate, StablePhase.Of($"{jitterKey}/refill"));
        var plan = new EnginePlan(settings, quote, tokens);
        var engineName = gate.Verdict != GateVerdict.Allow ? null : plan.UsesChat ? ChatEngine.Name : PlaybookEngine.Name;
        run.Batch.Add(run.RunId, Actor.System, new CostGatePayload(
            gate.Verdict, gate.Reason, gate.Explanation, gate.RetryAt, value.Value, inputs, runs, tokens, value, thresholds, engineName));
        if (gate.Reason == GateReason.TokenBudgetExhausted)
        {
            run.AddFallback("TOKEN_BUDGET_EXHAUSTED", EngineFallback.Defer, gate.RetryAt, gate.Explanation);
        }
        else if (tokenFallback && gate.Verdict == GateVerdict.Allow)
        {
            run.AddFallback("TOKEN_BUDGET_EXHAUSTED", EngineFallback.Playbook, null, DecisionCostGate.WithTokens(gate, tokens!).Explanation + " The playbook answers this run.");
        }

        AutonomyMetrics.Gate(gate.Verdict.ToString(), gate.Reason.ToString());
        return new GateStep(gate, plan);
    }
}

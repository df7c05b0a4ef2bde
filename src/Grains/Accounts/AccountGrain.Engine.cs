namespace Autonomy.Accounts;

/// <summary>
/// After the cost gate (<see cref="RunCostGate"/>): a skipped or deferred run, and the engine step. A metered call
/// settles its tokens itself (<see cref="IMeteredEngine"/>); when it cannot answer, the tenant's fallback (defer or playbook) decides.
/// </summary>
public sealed partial class AccountGrain
{
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
        await Owners.SkippedAsync(s.OwnerId, new SkippedItem(AccountId, run.RunId, "COST_GATE", gate.Reason.ToString(), gate.Explanation, run.Now));
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
            run.AddFallback(outcome.FailureReason, EngineFallback.Playbook, null, $"The chat engine gave no usable answer ({outcome.Detail}); the playbook answers this run.");
            return await engine.ProposeAsync(context);
        }

        var retry = run.Now + metered.DeferAfterFailure;
        run.AddFallback(outcome.FailureReason, EngineFallback.Defer, retry, $"The chat engine gave no usable answer ({outcome.Detail}); the run is deferred to {retry:O} with its signals.");
        await HoldAsync(run, s, retry);
        return null;
    }

    private DecisionContext ContextOf(DecisionRun run, AccountState s) =>
        new(TenantId, AccountId, run.RunId, run.TriggerType, run.Window.Signals, s.Lifecycle, s.Posture, s.Heat!.Score, run.Snapshot.Playbook);
}

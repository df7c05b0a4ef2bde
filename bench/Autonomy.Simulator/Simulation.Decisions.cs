using System.Globalization;
using Autonomy.Common;
using Autonomy.CostGate;
using Autonomy.Perception;
using Autonomy.Triggers;

namespace Autonomy.Simulator;

// A closed trigger window: the cost gate, the run budget and the token reservation, then the engine (the run).
public sealed partial class Simulation
{
    /// <summary>The cost gate as the account grain asks it, the run budget, the token reservation; then the engine.</summary>
    private void Decide(SimAccount a, TriggerWindow window, DateTimeOffset now)
    {
        var t = Tenant(a, now);
        // The completed gate (issue 8 item 4): marginal value of the window now, tokens reserved before runs, both DEFER when spent.
        var value = MarginalValue.Of(window, Heat.At(a.Heat, now).Score, a.LastRunAt, now).Value;
        var digest = window.Signals[0].Id + "#" + window.SignalCount.ToString(CultureInfo.InvariantCulture);
        var gate = DecisionCostGate.EvaluateLocal(new GateInput(value, options.MinMarginalValue, a.LastRunAt, TimeSpan.FromMinutes(options.MinRunIntervalMinutes), digest, a.LastDigest, now));
        var tokenSkip = false;
        if (gate.Verdict == GateVerdict.Allow)
        {
            (t.Tokens, var tokens) = t.Tokens.Reserve(options.TokensPerDay, options.TokensReservedPerCall, now);
            if (!tokens.Granted)
            {
                gate = new GateResult(GateVerdict.Defer, GateReason.TokenBudgetExhausted, "The tenant's tokens for today are spent.", tokens.ResetsAt);
            }
            else
            {
                (t.Runs, var reservation) = t.Runs.Reserve(options.RunsPerDay, now);
                gate = DecisionCostGate.WithBudget(gate, reservation);
                if (reservation.Granted && ++t.RunsSpent > options.RunsPerDay)
                {
                    _r.BudgetOvershoots++;
                }

                if (!reservation.Granted)
                {
                    t.Tokens = t.Tokens.Release(options.TokensReservedPerCall, DailyQuota.DayOf(now));
                }
            }
        }

        gate = DecisionCostGate.SpreadRefill(gate, PullPlanner.Phase($"{a.Key}/refill"));

        var signalWindow = !window.StartedBySchedule || window.SignalCount > 1;
        if (gate.Verdict == GateVerdict.Allow && !tokenSkip)
        {
            var (prompt, completion) = TokenModel.Call(window.SignalCount, ref a.Random);
            t.Tokens = t.Tokens.Release(options.TokensReservedPerCall - (prompt + completion), DailyQuota.DayOf(now));
            t.TokensSpent += prompt + completion;
            if (t.TokensSpent > options.TokensPerDay)
            {
                _r.BudgetOvershoots++;
            }

            _r.EngineCalls++;
            _r.PromptTokens += prompt;
            _r.CompletionTokens += completion;
            _r.EngineSeries[Hour(now)]++;
            if (window.StartedBySchedule)
            {
                _r.RitualRuns++;
                var ritual = window.Signals.First(s => MarginalValue.IsRitual(s.Type)).Type;
                _r.EngineCall($"ritual {ritual}, {(window.SignalCount > 1 ? "with signals" : a.LastRunAt is null ? "alone, account never ran" : "alone")}");
            }
            else
            {
                _r.SignalRuns++;
                if (window.Signals.Any(s => s.Value >= SignalKind.HighValueThreshold))
                {
                    _r.HighValueRuns++;
                    _r.EngineCall(a.LastHighValueRunAt is { } hv && now - hv <= DecisionDeadline ? "high-value, within 15 min of the last high-value run" : "high-value");
                    a.LastHighValueRunAt = now;
                }
                else
                {
                    _r.LowValueRuns++;
                    _r.EngineCall($"low-value only, {WireName.Of(a.Tier)} account");
                }
            }

            a.LastRunAt = now;
            a.LastDigest = digest;
            if (signalWindow && a.PendingHighValue is { Count: > 0 } pending)
            {
                foreach (var arrived in pending)
                {
                    _r.DecisionLatency(now - arrived);
                }

                pending.Clear();
            }

            return;
        }

        _r.GateResult(tokenSkip ? "SKIP TOKEN_BUDGET_EXHAUSTED" : $"{WireName.Of(gate.Verdict)} {WireName.Of(gate.Reason)}");

        // Nothing reached the engine: the run's slot under the hourly cap is given back (the grain's Release).
        a.Trigger = DecisionTrigger.Release(a.Trigger, now);
        if (gate.Verdict == GateVerdict.Defer)
        {
            a.Trigger = DecisionTrigger.Hold(a.Trigger, window, gate.RetryAt!.Value);
            a.DeferredUntil = gate.RetryAt;
            return;
        }

        if (gate.Reason == GateReason.LowMarginalValue)
        {
            // Parked: the signals wait for the next signal or ritual; their high-value triggers stay pending.
            a.Trigger = DecisionTrigger.Park(a.Trigger, window, MarginalValue.IsRitual, now);
            return;
        }

        // A window skipped as a duplicate is dropped: its high-value triggers go undecided.
        if (signalWindow && a.PendingHighValue is { Count: > 0 } dropped)
        {
            _r.HighValueUndecided += dropped.Count;
            dropped.Clear();
        }
    }
}

using Autonomy.CostGate;
using CsCheck;

namespace Autonomy.Tests.CostGate;

/// <summary>Runs held for a day's budget refill come back spread over minutes, never before the refill, and nothing else moves.</summary>
public sealed class RefillSpreadTests
{
    private static readonly DateTimeOffset Midnight = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

    private static readonly Gen<GateResult> Results = Gen.Select(
        Gen.OneOf(Gen.Const(GateVerdict.Allow), Gen.Const(GateVerdict.Defer), Gen.Const(GateVerdict.Skip)),
        Gen.OneOf(Gen.Const(GateReason.RunBudgetExhausted), Gen.Const(GateReason.TokenBudgetExhausted), Gen.Const(GateReason.AccountCooldown), Gen.Const(GateReason.LowMarginalValue)),
        Gen.OneOf(Gen.Const<DateTimeOffset?>(Midnight), Gen.Int[1, 86_399].Select(s => (DateTimeOffset?)Midnight.AddSeconds(s)), Gen.Const((DateTimeOffset?)null)),
        (verdict, reason, retry) => new GateResult(verdict, reason, "why", retry));

    [Fact]
    public void ADeferToMidnightMovesWithinTheSpreadAndEverythingElseStays() =>
        Gen.Select(Results, Gen.OneOf(Gen.Double.Unit, Gen.Const(double.NaN), Gen.Const(-1.0), Gen.Const(2.0))).Sample((result, phase) =>
        {
            var spread = DecisionCostGate.SpreadRefill(result, phase);

            if (result is { Verdict: GateVerdict.Defer, RetryAt: { } retry } && retry == Midnight)
            {
                Assert.Equal(result with { RetryAt = spread.RetryAt }, spread);
                Assert.InRange(spread.RetryAt!.Value, Midnight, Midnight + DecisionCostGate.RefillSpread);
            }
            else
            {
                Assert.Equal(result, spread);
            }
        });

    [Fact]
    public void DifferentPhasesSpreadAndTheSamePhaseGivesTheSameTime()
    {
        var held = new GateResult(GateVerdict.Defer, GateReason.RunBudgetExhausted, "spent", Midnight);

        Assert.Equal(Midnight, DecisionCostGate.SpreadRefill(held, 0).RetryAt);
        Assert.Equal(Midnight + TimeSpan.FromMinutes(5), DecisionCostGate.SpreadRefill(held, 0.5).RetryAt);
        Assert.Equal(DecisionCostGate.SpreadRefill(held, 0.3).RetryAt, DecisionCostGate.SpreadRefill(held, 0.3).RetryAt);
    }
}

using Autonomy.CostGate;
using Autonomy.Triggers;

namespace Autonomy.Tests.CostGate;

/// <summary>The gate's and triggers' public rules refuse a missing argument by name instead of failing somewhere inside.</summary>
public sealed class NullArgumentTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly GateResult Allow = new(GateVerdict.Allow, GateReason.WorthRunning, "worth it", null);

    public static TheoryData<string, Action> Calls => new()
    {
        { "thresholds", () => new GateInput(1, 0, null, TimeSpan.Zero, "d", null, Now).With(null!) },
        { "input", () => DecisionCostGate.EvaluateLocal(null!) },
        { "result", () => DecisionCostGate.SpreadRefill(null!, 0.5) },
        { "local", () => DecisionCostGate.WithBudget(null!, new RunBudgetReservation(true, 1, 10, Now)) },
        { "reservation", () => DecisionCostGate.WithBudget(Allow, null!) },
        { "local", () => DecisionCostGate.WithTokens(null!, TokenBudgetCounter.Empty.Reserve("a", 1, 10, Now).Reservation) },
        { "reservation", () => DecisionCostGate.WithTokens(Allow, null!) },
        { "window", () => MarginalValue.Of(null!, 0, null, Now) },
        { "id", () => TokenBudgetCounter.Empty.Reserve(null!, 1, 10, Now) },
        { "id", () => TokenBudgetCounter.Empty.Settle(null!, 1, Now, 10) },
        { "state", () => DecisionTrigger.Release(null!, Now) },
        { "state", () => DecisionTrigger.Park(null!, TriggerWindow.Open(new SignalRef("s", "WEBSITE_VISIT", Now, 0.1), TimeSpan.Zero, TimeSpan.Zero, Now), MarginalValue.IsRitual, Now) },
        { "skipped", () => DecisionTrigger.Park(TriggerState.Empty, null!, MarginalValue.IsRitual, Now) },
        { "state", () => DecisionTrigger.TakeParked(null!, TriggerWindow.Scheduled(new SignalRef("t", TriggerRegistry.DailyBrief, Now, 0.5), Now)) },
        { "scheduled", () => DecisionTrigger.TakeParked(TriggerState.Empty, null!) },
        { "other", () => TriggerWindow.Open(new SignalRef("s", "WEBSITE_VISIT", Now, 0.1), TimeSpan.Zero, TimeSpan.Zero, Now).Absorb(null!) },
        { "isRitual", () => TriggerWindow.Open(new SignalRef("s", "WEBSITE_VISIT", Now, 0.1), TimeSpan.Zero, TimeSpan.Zero, Now).Parked(null!, Now) },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void AMissingArgumentIsRefusedByName(string parameter, Action call) =>
        Assert.Equal(parameter, Assert.Throws<ArgumentNullException>(call).ParamName);
}

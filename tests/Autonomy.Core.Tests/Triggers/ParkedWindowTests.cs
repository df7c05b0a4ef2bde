using Autonomy.CostGate;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Triggers;

/// <summary>
/// A window the gate skipped for low value is parked: no signal lost (ritual ticks left out), it never comes due on its
/// own, the next signal re-opens it with its own debounce, a deferred run and the next ritual take it along.
/// </summary>
public class ParkedWindowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 3, 9, 0, 0, TimeSpan.Zero);

    private static readonly TriggerRegistry Registry = TriggerRegistry.Default;

    private static readonly string[] Types = ["WEBSITE_VISIT", "USAGE_SPIKE", "EMAIL_REPLY_RECEIVED"];

    private static readonly Gen<SignalRef[]> Signals =
        Gen.Select(Gen.Int[0, 2].Select(i => Types[i]), Gen.Double[0, 1]).Array[1, 90]
            .Select(xs => xs.Select((x, i) => new SignalRef($"s-{i}", x.Item1, T0, x.Item2)).ToArray());

    private static TriggerWindow WindowOf(SignalRef[] signals)
    {
        var w = TriggerWindow.Open(signals[0], TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), T0);
        foreach (var s in signals.Skip(1))
        {
            w = w.Join(s);
        }

        return w;
    }

    [Fact]
    public void ParkingKeepsEveryCountAndValueLeavesRitualTicksOutAndNeverComesDue() =>
        Gen.Select(Signals, Gen.Bool, Gen.Int[0, 10_000]).Sample((signals, withTick, minutes) =>
        {
            var window = WindowOf(signals);
            if (withTick)
            {
                window = TriggerWindow.Scheduled(new SignalRef("brief", TriggerRegistry.DailyBrief, T0, 0.5), T0).Absorb(window);
            }

            var state = DecisionTrigger.Park(TriggerState.Empty, window, MarginalValue.IsRitual, T0);
            var parked = state.Window!;
            Assert.True(parked.IsParked);
            Assert.False(parked.StartedBySchedule);
            Assert.Equal(signals.Length, parked.SignalCount);
            Assert.Equal(signals.Sum(s => s.Value), parked.TotalValue, 9);
            Assert.DoesNotContain(parked.Signals, s => MarginalValue.IsRitual(s.Type));

            // No busy loop: polled at any later time, a parked window neither fires nor asks for a wake-up.
            var poll = DecisionTrigger.Poll(Registry, state, T0 + TimeSpan.FromMinutes(minutes));
            Assert.False(poll.ShouldFire);
            Assert.Null(poll.WakeAt);
            Assert.False(poll.CapReached);
        }, iter: 500);

    [Fact]
    public void ARitualTickAloneIsNotParked() =>
        Assert.Null(DecisionTrigger.Park(TriggerState.Empty, TriggerWindow.Scheduled(new SignalRef("brief", TriggerRegistry.DailyBrief, T0, 0.5), T0), MarginalValue.IsRitual, T0).Window);

    [Fact]
    public void TheNextSignalReopensAParkedWindowWithItsOwnDebounceAndEveryParkedSignal() =>
        Gen.Select(Signals, Gen.Int[1, 100_000]).Sample((signals, minutesLater) =>
        {
            var state = DecisionTrigger.Park(TriggerState.Empty, WindowOf(signals), MarginalValue.IsRitual, T0);
            var now = T0 + TimeSpan.FromMinutes(minutesLater);
            var reply = new SignalRef("reply", "EMAIL_REPLY_RECEIVED", now, 0.8);

            var outcome = DecisionTrigger.OnSignal(Registry, state, reply, now);

            var window = outcome.State.Window!;
            Assert.False(window.IsParked);
            Assert.Equal(now + Registry.Types["EMAIL_REPLY_RECEIVED"].Debounce, window.DueAt);
            Assert.Equal("reply", window.Signals[0].Id);
            Assert.Equal(signals.Length + 1, window.SignalCount);
            Assert.Equal(signals.Sum(s => s.Value) + 0.8, window.TotalValue, 9);
        }, iter: 500);

    [Fact]
    public void ADeferredRunAndARitualTakeTheParkedSignalsAlong() =>
        Gen.Select(Signals, Gen.Int[1, 600]).Sample((signals, minutes) =>
        {
            var state = DecisionTrigger.Park(TriggerState.Empty, WindowOf(signals), MarginalValue.IsRitual, T0);
            var until = T0 + TimeSpan.FromMinutes(minutes);
            var deferred = TriggerWindow.Open(new SignalRef("reply", "EMAIL_REPLY_RECEIVED", T0, 0.8), TimeSpan.Zero, TimeSpan.Zero, T0);

            var held = DecisionTrigger.Hold(state, deferred, until).Window!;
            Assert.False(held.IsParked);
            Assert.Equal(until, held.DueAt);
            Assert.Equal(signals.Length + 1, held.SignalCount);

            var brief = TriggerWindow.Scheduled(new SignalRef("brief", TriggerRegistry.DailyBrief, until, 0.5), until);
            var (after, run) = DecisionTrigger.TakeParked(state, brief);
            Assert.Null(after.Window);
            Assert.True(run.StartedBySchedule);
            Assert.Equal(TriggerRegistry.DailyBrief, run.Signals[0].Type);
            Assert.Equal(signals.Length + 1, run.SignalCount);
            Assert.Equal(signals.Sum(s => s.Value) + 0.5, run.TotalValue, 9);
        }, iter: 500);

    [Fact]
    public void ARitualLeavesAWindowThatIsNotParkedAlone()
    {
        var open = DecisionTrigger.OnSignal(Registry, TriggerState.Empty, new SignalRef("v", "WEBSITE_VISIT", T0, 0.2), T0).State;
        var brief = TriggerWindow.Scheduled(new SignalRef("brief", TriggerRegistry.DailyBrief, T0, 0.5), T0);

        var (after, run) = DecisionTrigger.TakeParked(open, brief);

        Assert.Same(open, after);
        Assert.Same(brief, run);
    }
}

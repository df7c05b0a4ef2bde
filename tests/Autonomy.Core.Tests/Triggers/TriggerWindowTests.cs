using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Triggers;

/// <summary>A window is bounded, counts every signal, and a held run never overwrites an open window.</summary>
public class TriggerWindowTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly Gen<SignalRef> Signal = Gen.Select(Gen.Int[0, 9], Gen.Double.Unit, Gen.Int[0, 1_000_000], (type, value, id) =>
        new SignalRef($"s-{id}", $"T{type}", Start, value));

    /// <summary>Windows opened at different times, with different debounces and maximum waits, so their due times differ.</summary>
    private static readonly Gen<TriggerWindow> Window = Gen.Select(Signal.Array[1, 300], Gen.Bool, Gen.Int[0, 3_600], Gen.Int[0, 600], Gen.Int[0, 3_600], (signals, scheduled, openedAfter, debounce, maxWait) =>
    {
        var at = Start + TimeSpan.FromSeconds(openedAfter);
        var window = TriggerWindow.Open(signals[0], TimeSpan.FromSeconds(debounce), TimeSpan.FromSeconds(Math.Max(debounce, maxWait)), at) with { StartedBySchedule = scheduled };
        return signals.Skip(1).Aggregate(window, (w, s) => w.Join(s));
    });

    /// <summary>Joining with new timing is the join followed by the timing, in one copy.</summary>
    [Fact]
    public void JoinWithTimingIsJoinThenTiming() =>
        Gen.Select(Window, Signal, Gen.Int[0, 3_600], Gen.Int[0, 600]).Sample((window, signal, after, debounce) =>
        {
            var at = window.LastSignalAt + TimeSpan.FromSeconds(after);
            var wait = TimeSpan.FromSeconds(debounce * 2);
            var composed = window.Join(signal) with { LastSignalAt = at, Debounce = TimeSpan.FromSeconds(debounce), MaxWait = wait };
            var joined = window.Join(signal, at, TimeSpan.FromSeconds(debounce), wait);
            Assert.Equal(composed with { Signals = [] }, joined with { Signals = [] });
            Assert.Equal(composed.Signals.ToArray(), joined.Signals.ToArray());
        });

    [Fact]
    public void AWindowKeepsABoundedSampleCountsEverySignalAndHidesNoType() =>
        Signal.Array[1, 500].Sample(signals =>
        {
            var window = signals.Skip(1).Aggregate(TriggerWindow.Open(signals[0], TimeSpan.Zero, TimeSpan.Zero, Start), (w, s) => w.Join(s));
            var types = signals.Select(s => s.Type).Distinct().Count();
            Assert.True(window.Signals.Length <= TriggerWindow.MaxSignals + types);
            Assert.Equal(signals.Length, window.SignalCount);
            Assert.Equal(signals.Sum(s => s.Value), window.TotalValue, 9);
            Assert.Equal(signals.Select(s => s.Type).ToHashSet(), window.Signals.Select(s => s.Type).ToHashSet());

            // Exactly: the first MaxSignals, then only the first signal of each type not kept yet.
            var model = new List<SignalRef>();
            foreach (var s in signals)
            {
                if (model.Count < TriggerWindow.MaxSignals || !model.Any(k => k.Type == s.Type))
                {
                    model.Add(s);
                }
            }

            Assert.Equal(model.Select(s => s.Id), window.Signals.Select(s => s.Id));
            Assert.False(window.StartedBySchedule);
        });

    [Fact]
    public void HoldingARunJoinsTheOpenWindowAndKeepsItsSchedulingAndEverySignal() =>
        Gen.Select(Window, Window, Gen.Bool, Gen.Int[0, 7_200]).Sample((open, deferred, hasOpen, retrySeconds) =>
        {
            var until = Start + TimeSpan.FromSeconds(retrySeconds);
            var state = TriggerState.Empty with { Window = hasOpen ? open : null };

            var held = DecisionTrigger.Hold(state, deferred, until).Window!;

            Assert.Equal((hasOpen ? open.SignalCount : 0) + deferred.SignalCount, held.SignalCount);
            Assert.Equal((hasOpen ? open.TotalValue : 0) + deferred.TotalValue, held.TotalValue, 6);
            Assert.Equal((hasOpen && open.StartedBySchedule) || deferred.StartedBySchedule, held.StartedBySchedule);
            Assert.Equal(hasOpen && open.DueAt > until ? open.DueAt : until, held.DueAt);
            Assert.Equal(hasOpen && open.OpenedAt < deferred.OpenedAt ? open.OpenedAt : deferred.OpenedAt, held.OpenedAt);
            var types = (hasOpen ? open.Signals : []).Concat(deferred.Signals).Select(s => s.Type).ToHashSet();
            Assert.Equal(types, held.Signals.Select(s => s.Type).ToHashSet());
        });

    [Fact]
    public void AWindowWithoutSignalsCountsNoneAndJoinsAndMergesLikeAnEmptyOne()
    {
        var empty = new TriggerWindow(Start, Start, TimeSpan.Zero, TimeSpan.Zero, default);
        var one = TriggerWindow.Open(new SignalRef("a", "T", Start, 0.5), TimeSpan.Zero, TimeSpan.Zero, Start);

        Assert.Equal(0, empty.SignalCount);
        Assert.Equal(0, empty.TotalValue);
        Assert.Equal(1, empty.Join(new SignalRef("b", "T", Start, 0.25)).SignalCount);
        Assert.Equal(1, one.Merge(empty).SignalCount);
        Assert.Equal(0.5, one.Merge(empty).TotalValue);
        Assert.Equal(1, empty.Merge(one).SignalCount);
    }

    [Fact]
    public void MergingKeepsTheCountsOfSignalsTheOtherWindowOnlyCounted()
    {
        var crowded = Enumerable.Range(0, TriggerWindow.MaxSignals + 10).Aggregate(
            TriggerWindow.Open(new SignalRef("first", "T", Start, 0.5), TimeSpan.Zero, TimeSpan.Zero, Start),
            (w, i) => w.Join(new SignalRef($"s{i}", "T", Start, 0.5)));
        var one = TriggerWindow.Open(new SignalRef("a", "U", Start, 1), TimeSpan.Zero, TimeSpan.Zero, Start);

        var merged = one.Merge(crowded);

        Assert.Equal(1 + crowded.SignalCount, merged.SignalCount);
        Assert.Equal(1 + crowded.TotalValue, merged.TotalValue, 9);
    }

    [Fact]
    public void NullArgumentsAreRefused()
    {
        var one = TriggerWindow.Open(new SignalRef("a", "T", Start, 0.5), TimeSpan.Zero, TimeSpan.Zero, Start);
        Assert.Throws<ArgumentNullException>(() => TriggerWindow.Scheduled(null!, Start));
        Assert.Throws<ArgumentNullException>(() => TriggerWindow.Open(null!, TimeSpan.Zero, TimeSpan.Zero, Start));
        Assert.Throws<ArgumentNullException>(() => one.Join(null!));
        Assert.Throws<ArgumentNullException>(() => one.Merge(null!));
        Assert.Throws<ArgumentNullException>(() => DecisionTrigger.Hold(null!, one, Start));
        Assert.Throws<ArgumentNullException>(() => DecisionTrigger.Hold(TriggerState.Empty, null!, Start));
        Assert.Throws<ArgumentNullException>(() => Autonomy.Policy.HumanApproval.MayAct(null!, null));
        Assert.Throws<ArgumentNullException>(() => Autonomy.Policy.HumanApproval.Recheck(Autonomy.Policy.PolicyDecision.RequireApproval, null!));
    }

    [Fact]
    public void AScheduledWindowClosesAtOnceAndSaysSo()
    {
        var window = TriggerWindow.Scheduled(new SignalRef("brief-1", TriggerRegistry.DailyBrief, Start, 1), Start);

        Assert.True(window.StartedBySchedule);
        Assert.Equal(Start, window.DueAt);
        Assert.Equal(1, window.SignalCount);
    }

    [Fact]
    public void AWindowStoredBeforeCountsExistedCountsItsSignals()
    {
        var legacy = new TriggerWindow(Start, Start, TimeSpan.Zero, TimeSpan.Zero, [new SignalRef("a", "T", Start, 0.25), new SignalRef("b", "T", Start, 0.5)]);

        Assert.Equal(2, legacy.SignalCount);
        Assert.Equal(0.75, legacy.TotalValue);
        Assert.Equal(3, legacy.Join(new SignalRef("c", "T", Start, 1)).SignalCount);
    }

    [Fact]
    public void FiringAWindowReturnsItWithItsScheduling()
    {
        var registry = TriggerRegistry.Default;
        var state = DecisionTrigger.Hold(TriggerState.Empty, TriggerWindow.Scheduled(new SignalRef("r", TriggerRegistry.DailyBrief, Start, 1), Start), Start.AddMinutes(10));

        Assert.False(DecisionTrigger.Poll(registry, state, Start.AddMinutes(9)).ShouldFire);
        var poll = DecisionTrigger.Poll(registry, state, Start.AddMinutes(10));

        Assert.True(poll.ShouldFire);
        Assert.True(poll.Fired!.StartedBySchedule);
        Assert.Equal(["r"], poll.Fire.Select(s => s.Id));
    }
}

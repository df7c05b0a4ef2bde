using System.Collections.Immutable;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Triggers;

/// <summary>
/// Hand-written cases for what the burst simulation in <see cref="DecisionTriggerTests"/> does not pin: when a quiet
/// window closes, what each verdict says, which cooldowns are stored, and the shipped registry.
/// </summary>
public class DecisionTriggerGoldenTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static TriggerRegistry Registry(params TriggerType[] types) =>
        new(types.ToImmutableDictionary(t => t.Type, StringComparer.Ordinal), 6);

    [Fact]
    public void QuietWindowClosesAfterTheDebounceNotTheMaximumWait()
    {
        var registry = Registry(TriggerRegistry.Signal("T", 30, 300, 0));
        var state = DecisionTrigger.OnSignal(registry, TriggerState.Empty, new SignalRef("a", "T", Start, 1), Start).State;
        state = DecisionTrigger.OnSignal(registry, state, new SignalRef("b", "T", Start.AddSeconds(20), 1), Start.AddSeconds(20)).State;

        Assert.Equal(Start.AddSeconds(50), state.Window!.DueAt);
        var early = DecisionTrigger.Poll(registry, state, Start.AddSeconds(49));
        Assert.Equal((false, (DateTimeOffset?)Start.AddSeconds(50)), (early.ShouldFire, early.WakeAt));
        Assert.Equal(["a", "b"], DecisionTrigger.Poll(registry, state, Start.AddSeconds(50)).Fire.Select(s => s.Id));
    }

    [Fact]
    public void WindowIsDueAtTheEarlierOfQuietAndMaximumWait() =>
        Gen.Select(Gen.Int[0, 3_600], Gen.Int[0, 3_600], Gen.Int[0, 3_600], Gen.Int[0, 3_600]).Sample((opened, last, debounce, maxWait) =>
        {
            var window = new TriggerWindow(Start.AddSeconds(opened), Start.AddSeconds(last), TimeSpan.FromSeconds(debounce), TimeSpan.FromSeconds(maxWait), []);
            var expected = Start.AddSeconds(Math.Min(last + debounce, opened + maxWait));

            Assert.Equal(expected, window.DueAt);
        });

    [Fact]
    public void EachVerdictExplainsItself()
    {
        var registry = Registry(TriggerRegistry.Signal("T", 30, 300, 600));

        var unknown = DecisionTrigger.OnSignal(registry, TriggerState.Empty, new SignalRef("x", "OTHER", Start, 1), Start);
        Assert.Equal("OTHER is not a registered trigger type.", unknown.Explanation);

        var accepted = DecisionTrigger.OnSignal(registry, TriggerState.Empty, new SignalRef("a", "T", Start, 1), Start);
        Assert.Equal("Run due at 2025-03-01T08:00:30.0000000+00:00.", accepted.Explanation);

        var fired = DecisionTrigger.Poll(registry, accepted.State, Start.AddSeconds(30)).State;
        var cooling = DecisionTrigger.OnSignal(registry, fired, new SignalRef("b", "T", Start.AddSeconds(40), 1), Start.AddSeconds(40));
        Assert.Equal("T is cooling down until 2025-03-01T08:10:30.0000000+00:00.", cooling.Explanation);
    }

    [Fact]
    public void OnlyTypesWithACooldownAreRemembered()
    {
        // Bounded state: a type without a cooldown leaves nothing behind when its window fires.
        var registry = Registry(TriggerRegistry.Signal("QUIET", 0, 0, 0), TriggerRegistry.Signal("SLOW", 0, 0, 600));
        var state = DecisionTrigger.OnSignal(registry, TriggerState.Empty, new SignalRef("a", "QUIET", Start, 1), Start).State;
        state = DecisionTrigger.OnSignal(registry, state, new SignalRef("b", "SLOW", Start, 1), Start).State;

        var poll = DecisionTrigger.Poll(registry, state, Start);

        Assert.True(poll.ShouldFire);
        var only = Assert.Single(poll.State.CooldownUntil);
        Assert.Equal(("SLOW", Start.AddSeconds(600)), (only.Key, only.Value));
    }

    [Fact]
    public void WindowStillFiresWhenItsTypeWasUnregisteredMeanwhile()
    {
        // The tenant may remove a trigger type while a window holding it is open: its signals still run, uncooled.
        var before = Registry(TriggerRegistry.Signal("GONE", 0, 60, 600));
        var state = DecisionTrigger.OnSignal(before, TriggerState.Empty, new SignalRef("a", "GONE", Start, 1), Start).State;
        var after = Registry(TriggerRegistry.Signal("OTHER", 0, 60, 600));

        var poll = DecisionTrigger.Poll(after, state, Start);

        Assert.Equal(["a"], poll.Fire.Select(s => s.Id));
        Assert.Empty(poll.State.CooldownUntil);
        Assert.Null(poll.State.Window);
    }

    [Fact]
    public void StateWithoutRecentRunsIsReadAsNoRuns()
    {
        // State written before RecentRuns existed deserializes with a default (uninitialized) array.
        var registry = Registry(TriggerRegistry.Signal("T", 0, 0, 0));
        var old = new TriggerState(null, ImmutableDictionary<string, DateTimeOffset>.Empty, default);

        var (scheduled, started) = DecisionTrigger.StartScheduledRun(registry, old, Start);
        Assert.True(started);
        Assert.Equal(Start, Assert.Single(scheduled.RecentRuns));

        var open = DecisionTrigger.OnSignal(registry, old, new SignalRef("a", "T", Start, 1), Start).State;
        var poll = DecisionTrigger.Poll(registry, open, Start);
        Assert.True(poll.ShouldFire);
        Assert.Equal(Start, Assert.Single(poll.State.RecentRuns));
    }

    [Fact]
    public void DefaultRegistryIsTheSeedTable()
    {
        var expected = new Dictionary<string, (int Debounce, int MaxWait, int Cooldown)>
        {
            ["EMAIL_REPLY_RECEIVED"] = (30, 300, 0),
            ["MEETING_COMPLETED"] = (30, 300, 0),
            ["MEETING_BOOKED"] = (30, 300, 0),
            ["RENEWAL_WINDOW_OPENED"] = (0, 60, 86_400),
            ["USAGE_DROPPED"] = (3_600, 3_600, 21_600),
            ["USAGE_SPIKE"] = (3_600, 3_600, 21_600),
            ["SUPPORT_TICKET_ESCALATED"] = (60, 600, 3_600),
            ["CHAMPION_LEFT"] = (0, 60, 86_400),
            ["WEBSITE_VISIT"] = (3_600, 3_600, 3_600),
            ["POSTURE_CHANGED"] = (60, 600, 3_600),
            ["LIFECYCLE_CHANGED"] = (0, 60, 3_600),
            ["DAILY_BRIEF"] = (0, 0, 0),
            ["WEEKLY_REVIEW"] = (0, 0, 0),
            ["RENEWAL_RUNWAY"] = (0, 0, 0),
        };

        var actual = TriggerRegistry.Default.Types.ToDictionary(
            kv => kv.Key,
            kv => ((int)kv.Value.Debounce.TotalSeconds, (int)kv.Value.MaxWait.TotalSeconds, (int)kv.Value.Cooldown.TotalSeconds));

        Assert.Equal(expected.OrderBy(kv => kv.Key), actual.OrderBy(kv => kv.Key));
        Assert.All(TriggerRegistry.Default.Types, kv => Assert.Equal(kv.Key, kv.Value.Type));
        Assert.Equal(6, TriggerRegistry.Default.MaxRunsPerAccountPerHour);
    }

    [Fact]
    public void TenantTypesAddToAndRetuneTheRegistry()
    {
        var tuned = TriggerRegistry.Default.With([TriggerRegistry.Signal("CONTRACT_SIGNED", 10, 60, 0), TriggerRegistry.Signal("WEBSITE_VISIT", 0, 0, 0)]);

        Assert.Equal(TriggerRegistry.Default.Types.Count + 1, tuned.Types.Count);
        Assert.Equal(TimeSpan.FromSeconds(10), tuned.Types["CONTRACT_SIGNED"].Debounce);
        Assert.Equal(TimeSpan.Zero, tuned.Types["WEBSITE_VISIT"].Cooldown);
        Assert.Equal(TriggerRegistry.Default.Types["USAGE_SPIKE"], tuned.Types["USAGE_SPIKE"]);
        Assert.Equal(TriggerRegistry.Default.MaxRunsPerAccountPerHour, tuned.MaxRunsPerAccountPerHour);
    }
}

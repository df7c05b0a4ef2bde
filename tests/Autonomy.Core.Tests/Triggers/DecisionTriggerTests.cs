using System.Collections.Immutable;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Triggers;

public class DecisionTriggerTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private const string Unregistered = "NOT_A_TRIGGER";
    private const int ScheduledRun = -1;

    private static readonly Gen<TriggerType> AnyType = Gen.Select(
        Gen.OneOf<int>(Gen.Int[0, 900], Gen.Const(0)),
        Gen.OneOf<int>(Gen.Int[0, 3_600], Gen.Const(0)),
        Gen.Frequency((1, Gen.Const(0)), (3, Gen.Int[1, 7_200])),
        (debounce, maxWait, cooldown) => new TriggerType("T", TimeSpan.FromSeconds(debounce), TimeSpan.FromSeconds(maxWait), TimeSpan.FromSeconds(cooldown)));

    private static readonly Gen<TriggerRegistry> Registry = Gen.Select(AnyType.Array[1, 4], Gen.Int[1, 8], (types, cap) =>
        new TriggerRegistry(types.Select((t, i) => t with { Type = $"T{i}" }).ToImmutableDictionary(t => t.Type), cap));

    /// <summary>Arrivals in time order: bursts (gaps of seconds) and lulls; some of unregistered types, some scheduled runs.</summary>
    private static readonly Gen<List<(DateTimeOffset At, int Kind)>> Arrivals =
        Gen.Select(Gen.Frequency((5, Gen.Int[0, 30]), (3, Gen.Int[0, 900]), (1, Gen.Int[0, 7_200])), Gen.Frequency((10, Gen.Int[0, 3]), (1, Gen.Const(4)), (1, Gen.Const(ScheduledRun))))
            .List[0, 60]
            .Select(steps =>
            {
                var at = Start;
                return steps.Select(s => (At: at += TimeSpan.FromSeconds(s.Item1), Kind: s.Item2)).ToList();
            });

    [Fact]
    public void TriggerKeepsEveryRuleUnderAnyBurst() =>
        Gen.Select(Registry, Arrivals).Sample((registry, arrivals) => Simulate(registry, arrivals), iter: 3_000);

    [Fact]
    public void DefaultRegistryKeepsEveryRuleUnderAnyBurst() =>
        Gen.Select(Gen.OneOf([.. TriggerRegistry.Default.Types.Keys]).Array[1, 4], Arrivals).Sample((types, arrivals) =>
        {
            var named = arrivals.Select(a => (a.At, a.Kind)).ToList();
            Simulate(TriggerRegistry.Default, named, kind => kind is >= 0 and < 4 ? types[kind % types.Length] : Unregistered);
        }, iter: 1_000);

    private static void Simulate(TriggerRegistry registry, List<(DateTimeOffset At, int Kind)> arrivals, Func<int, string>? typeOf = null)
    {
        typeOf ??= kind => registry.Types.ContainsKey($"T{kind}") ? $"T{kind}" : Unregistered;
        var state = TriggerState.Empty;
        DateTimeOffset? wake = null;
        var clock = Start;
        var runStarts = new List<DateTimeOffset>();
        var fired = new List<string>();
        var accepted = new List<string>();
        var lastFiredWith = new Dictionary<string, DateTimeOffset>();

        void PollAt(DateTimeOffset now)
        {
            var window = state.Window;
            var poll = DecisionTrigger.Poll(registry, state, now);
            if (window is not null && now >= window.DueAt)
            {
                Assert.True(poll.ShouldFire || poll.CapReached, $"due at {window.DueAt:O}, polled at {now:O}, neither fired nor held");
            }

            if (window is not null && now < window.DueAt)
            {
                Assert.False(poll.ShouldFire, "fired before the window was due");
            }

            if (poll.CapReached)
            {
                Assert.True(runStarts.Count(r => r > now - Hour) >= registry.MaxRunsPerAccountPerHour, "held by the cap while under it");
                Assert.True(poll.WakeAt > now);
            }

            if (poll.ShouldFire)
            {
                runStarts.Add(now);
                fired.AddRange(poll.Fire.Select(s => s.Id));
                foreach (var type in poll.Fire.Select(s => s.Type))
                {
                    lastFiredWith[type] = now;
                }
            }

            state = poll.State;
            wake = poll.WakeAt;
            clock = now;
        }

        var n = 0;
        foreach (var (at, kind) in arrivals)
        {
            while (wake is { } w && w <= at)
            {
                PollAt(w < clock ? clock : w);
            }

            if (kind == ScheduledRun)
            {
                var underCap = runStarts.Count(r => r > at - Hour) < registry.MaxRunsPerAccountPerHour;
                (state, var started) = DecisionTrigger.StartScheduledRun(registry, state, at);
                Assert.Equal(underCap, started);
                if (started)
                {
                    runStarts.Add(at);
                }
            }
            else
            {
                var type = typeOf(kind);
                var signal = new SignalRef($"s{n++}", type, at, 0.5);
                var outcome = DecisionTrigger.OnSignal(registry, state, signal, at);
                var expected = !registry.Types.TryGetValue(type, out var spec)
                    ? TriggerVerdict.NotRegistered
                    : lastFiredWith.TryGetValue(type, out var last) && at < last + spec.Cooldown ? TriggerVerdict.Cooldown : TriggerVerdict.Accepted;
                Assert.Equal(expected, outcome.Verdict);
                if (outcome.Verdict == TriggerVerdict.Accepted)
                {
                    accepted.Add(signal.Id);
                    var window = outcome.State.Window!;
                    Assert.Equal(window.DueAt, outcome.DueAt);
                    Assert.Contains(signal, window.Signals);
                    foreach (var s in window.Signals)
                    {
                        Assert.True(window.DueAt <= window.OpenedAt + registry.Types[s.Type].MaxWait, $"due {window.DueAt:O} beyond {s.Type}'s max wait from {window.OpenedAt:O}");
                    }
                }
                else
                {
                    Assert.Same(state, outcome.State);
                }

                state = outcome.State;
            }

            PollAt(at);
        }

        for (var i = 0; state.Window is not null; i++)
        {
            Assert.True(i < 1_000, "the window never closed");
            PollAt(wake ?? throw new Xunit.Sdk.XunitException("an open window without a wake time"));
        }

        runStarts.Sort();
        for (var i = 0; i < runStarts.Count; i++)
        {
            var inHour = runStarts.Count(r => r >= runStarts[i] && r < runStarts[i] + Hour);
            Assert.True(inHour <= registry.MaxRunsPerAccountPerHour, $"{inHour} runs in the hour from {runStarts[i]:O}, cap {registry.MaxRunsPerAccountPerHour}");
        }

        Assert.Equal(accepted.Order(), fired.Order());
    }

    [Fact]
    public void SteadyStreamCannotStarveARun()
    {
        var registry = new TriggerRegistry(ImmutableDictionary<string, TriggerType>.Empty.Add("T", TriggerRegistry.Signal("T", 30, 300, 0)), 6);
        var state = TriggerState.Empty;
        var firedAt = (DateTimeOffset?)null;
        for (var t = 0; t <= 600 && firedAt is null; t += 10)
        {
            var now = Start.AddSeconds(t);
            state = DecisionTrigger.OnSignal(registry, state, new SignalRef($"s{t}", "T", now, 1), now).State;
            var poll = DecisionTrigger.Poll(registry, state, now);
            state = poll.State;
            firedAt = poll.ShouldFire ? now : null;
        }

        Assert.Equal(Start.AddSeconds(300), firedAt);
    }

    [Fact]
    public void HourlyCapHoldsTheWindowAndKeepsItsSignals()
    {
        var registry = new TriggerRegistry(ImmutableDictionary<string, TriggerType>.Empty.Add("T", TriggerRegistry.Signal("T", 0, 0, 0)), 2);
        var state = TriggerState.Empty;
        (state, _) = DecisionTrigger.StartScheduledRun(registry, state, Start);
        (state, _) = DecisionTrigger.StartScheduledRun(registry, state, Start.AddMinutes(1));
        state = DecisionTrigger.OnSignal(registry, state, new SignalRef("a", "T", Start.AddMinutes(2), 1), Start.AddMinutes(2)).State;
        state = DecisionTrigger.OnSignal(registry, state, new SignalRef("b", "T", Start.AddMinutes(3), 1), Start.AddMinutes(3)).State;

        var held = DecisionTrigger.Poll(registry, state, Start.AddMinutes(3));
        Assert.True(held.CapReached);
        Assert.False(held.ShouldFire);
        Assert.Equal(Start.AddHours(1), held.WakeAt);

        var released = DecisionTrigger.Poll(registry, held.State, Start.AddHours(1));
        Assert.Equal(["a", "b"], released.Fire.Select(s => s.Id));
    }

    [Fact]
    public void ZeroCapNeverFiresAndNeverThrows()
    {
        var registry = new TriggerRegistry(TriggerRegistry.Default.Types, 0);
        var state = DecisionTrigger.OnSignal(registry, TriggerState.Empty, new SignalRef("a", "CHAMPION_LEFT", Start, 1), Start).State;

        var poll = DecisionTrigger.Poll(registry, state, Start.AddHours(2));

        Assert.False(poll.ShouldFire);
        Assert.True(poll.CapReached);
        Assert.False(DecisionTrigger.StartScheduledRun(registry, state, Start).Started);
    }

    [Fact]
    public void SignalInCooldownIsReportedAndLeftOut()
    {
        var registry = new TriggerRegistry(ImmutableDictionary<string, TriggerType>.Empty.Add("T", TriggerRegistry.Signal("T", 0, 0, 600)), 6);
        var state = DecisionTrigger.OnSignal(registry, TriggerState.Empty, new SignalRef("a", "T", Start, 1), Start).State;
        state = DecisionTrigger.Poll(registry, state, Start).State;

        var during = DecisionTrigger.OnSignal(registry, state, new SignalRef("b", "T", Start.AddSeconds(599), 1), Start.AddSeconds(599));
        var after = DecisionTrigger.OnSignal(registry, state, new SignalRef("c", "T", Start.AddSeconds(600), 1), Start.AddSeconds(600));

        Assert.Equal(TriggerVerdict.Cooldown, during.Verdict);
        Assert.Null(during.State.Window);
        Assert.Equal(TriggerVerdict.Accepted, after.Verdict);
    }

    [Fact]
    public void UnregisteredTypeNeverOpensAWindow()
    {
        var outcome = DecisionTrigger.OnSignal(TriggerRegistry.Default, TriggerState.Empty, new SignalRef("a", "SOMETHING_ELSE", Start, 1), Start);

        Assert.Equal(TriggerVerdict.NotRegistered, outcome.Verdict);
        Assert.Null(outcome.State.Window);
        Assert.False(DecisionTrigger.Poll(TriggerRegistry.Default, outcome.State, Start.AddDays(1)).ShouldFire);
    }

    [Fact]
    public void RegistryFactoryNeverLetsMaxWaitFallBelowDebounce()
    {
        Assert.All(TriggerRegistry.Default.Types.Values, t => Assert.True(t.MaxWait >= t.Debounce));
        Assert.Equal(TimeSpan.FromSeconds(60), TriggerRegistry.Signal("X", 60, 10, 0).MaxWait);
        Assert.Contains(TriggerRegistry.DailyBrief, TriggerRegistry.Default.Types.Keys);
    }
}

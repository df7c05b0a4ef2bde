using System.Collections.Immutable;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Triggers;

/// <summary>
/// An account's cooldowns hold only the types cooling down now: a tenant that registers, uses and drops trigger
/// types over months leaves no cooldown behind once it ran out, and forgetting one never lets a signal through early.
/// </summary>
public class CooldownBoundTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Runs of ever new trigger types (a tenant re-tuning its registry), each type with its own cooldown, far apart or close.</summary>
    private static readonly Gen<(int Type, int CooldownSeconds, int GapSeconds)[]> Runs =
        Gen.Select(Gen.Int[0, 400], Gen.Int[1, 7 * 86_400], Gen.Frequency((3, Gen.Int[0, 600]), (2, Gen.Int[0, 3 * 86_400])))
            .Array[1, 150];

    [Fact]
    public void ARunForgetsTheCooldownsThatRanOutAndKeepsEveryOneStillRunning() =>
        Runs.Sample(runs =>
        {
            var state = TriggerState.Empty;
            var at = Start;
            var running = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            foreach (var (type, cooldown, gap) in runs)
            {
                at += TimeSpan.FromSeconds(gap);
                var name = $"T{type}";
                var registry = new TriggerRegistry(ImmutableDictionary<string, TriggerType>.Empty.Add(name, TriggerRegistry.Signal(name, 0, 0, cooldown)), MaxRunsPerAccountPerHour: 1_000);
                var outcome = DecisionTrigger.OnSignal(registry, state, new SignalRef($"s-{at.Ticks}", name, at, 0.5), at);
                var cooling = running.TryGetValue(name, out var until) && at < until;
                Assert.Equal(cooling ? TriggerVerdict.Cooldown : TriggerVerdict.Accepted, outcome.Verdict);
                if (cooling)
                {
                    continue;
                }

                var poll = DecisionTrigger.Poll(registry, outcome.State, at);
                Assert.True(poll.ShouldFire);
                state = poll.State;
                running[name] = at + TimeSpan.FromSeconds(cooldown);

                var expected = running.Where(r => r.Value > at).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
                Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), state.CooldownUntil.OrderBy(e => e.Key, StringComparer.Ordinal));
            }
        }, iter: 500);

    [Fact]
    public void CoolingKeepsExactlyTheCooldownsAfterNow() =>
        Gen.Select(Gen.Int[0, 50_000].Array[0, 40], Gen.Int[0, 50_000]).Sample((untils, nowSeconds) =>
        {
            var cooldowns = untils.Select((u, i) => KeyValuePair.Create($"T{i}", Start + TimeSpan.FromSeconds(u))).ToImmutableDictionary();
            var now = Start + TimeSpan.FromSeconds(nowSeconds);

            var kept = DecisionTrigger.Cooling(cooldowns, now);

            Assert.Equal(cooldowns.Where(c => c.Value > now).OrderBy(c => c.Key, StringComparer.Ordinal), kept.OrderBy(c => c.Key, StringComparer.Ordinal));
        });

    [Fact]
    public void NoCooldownsAreNoneRunning()
    {
        var now = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        Assert.Empty(DecisionTrigger.Cooling(null, now));
        var running = System.Collections.Immutable.ImmutableDictionary<string, DateTimeOffset>.Empty.Add("A", now.AddMinutes(1)).Add("B", now);
        Assert.Equal(["A"], DecisionTrigger.Cooling(running, now).Keys);
    }
}

using System.Collections.Immutable;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Triggers;

/// <summary>A run the cost gate deferred gives its hourly-cap slot back: deferred again and again, it is never held by the cap as well.</summary>
public class DeferredRunCapTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ARunDeferredAgainAndAgainFiresAtEachRetryWithAllItsSignals() =>
        Gen.Select(Gen.Int[1, 6], Gen.Int[30, 900].List[1, 40]).Sample((cap, retries) =>
        {
            var registry = new TriggerRegistry(ImmutableDictionary<string, TriggerType>.Empty.Add("T", new TriggerType("T", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero)), cap);
            var state = DecisionTrigger.OnSignal(registry, TriggerState.Empty, new SignalRef("s-0", "T", Start, 0.5), Start).State;
            var at = Start;
            foreach (var seconds in retries)
            {
                var poll = DecisionTrigger.Poll(registry, state, at);
                Assert.False(poll.CapReached, "a deferred run never runs into the cap");
                var fired = Assert.IsType<TriggerWindow>(poll.Fired);
                Assert.Equal("s-0", fired.Signals[0].Id);

                // The gate defers it: the slot goes back and the window is held until the retry.
                var retry = at.AddSeconds(seconds);
                state = DecisionTrigger.Hold(DecisionTrigger.Release(poll.State, at), fired, retry);
                Assert.DoesNotContain(at, state.RecentRuns);
                at = retry;
            }
        }, iter: 2_000);

    [Fact]
    public void ReleaseGivesBackExactlyTheOneClaimOfThatMoment() =>
        Gen.Int[0, 3_600].Array[0, 8].Sample(offsets =>
        {
            var claims = offsets.Select(o => Start.AddSeconds(o)).Order().ToImmutableArray();
            var state = TriggerState.Empty with { RecentRuns = claims };
            var target = claims.IsEmpty ? Start : claims[claims.Length / 2];

            var released = DecisionTrigger.Release(state, target);

            Assert.Equal(claims.IsEmpty ? 0 : claims.Length - 1, released.RecentRuns.Length);
            Assert.Equal(claims.Count(c => c == target) - (claims.IsEmpty ? 0 : 1), released.RecentRuns.Count(c => c == target));
            Assert.Same(state, DecisionTrigger.Release(state, Start.AddDays(-1)));
        });
}

using Autonomy.CostGate;
using Autonomy.Triggers;

namespace Autonomy.Tests.CostGate;

/// <summary>The gate's edges that the properties cross only by chance: exact budget boundaries, the day's last minute, novelty's share.</summary>
public sealed class GateEdgeTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Midnight = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Used 900 of 1,000: 100 in flight (a), 800 settled (b).</summary>
    private static TokenBudgetCounter NineHundredUsedOneHundredInFlight(DateTimeOffset now)
    {
        var (counter, _) = TokenBudgetCounter.Empty.Reserve("a", 100, 1_000, now);
        (counter, _) = counter.Reserve("b", 800, 1_000, now);
        (counter, _) = counter.Settle("b", 800, now, 1_000);
        return counter;
    }

    [Fact]
    public void WhenCallsInFlightWouldGiveBackExactlyEnoughTheRefusalRetriesSoon()
    {
        // Settled 800 + asked 200 = 1,000: once (a) settles at nothing, the call fits exactly.
        var (_, refused) = NineHundredUsedOneHundredInFlight(Noon).Reserve("c", 200, 1_000, Noon);

        Assert.False(refused.Granted);
        Assert.Equal(Noon + TokenBudgetCounter.InFlightRetry, refused.RetryAt);
    }

    [Fact]
    public void WhenEvenEveryCallInFlightGivingBackCouldNotMakeRoomTheRefusalWaitsForMidnight()
    {
        // Settled 800 + asked 250 = 1,050: nothing in flight can make room today.
        var (_, refused) = NineHundredUsedOneHundredInFlight(Noon).Reserve("c", 250, 1_000, Noon);

        Assert.False(refused.Granted);
        Assert.Equal(Midnight, refused.RetryAt);
    }

    [Fact]
    public void ASoonRetryNeverFallsPastTheRefill()
    {
        var lastMinute = Midnight - TimeSpan.FromSeconds(30);

        var (_, refused) = NineHundredUsedOneHundredInFlight(lastMinute).Reserve("c", 200, 1_000, lastMinute);

        Assert.Equal(Midnight, refused.RetryAt);
    }

    [Fact]
    public void RunsReservedYesterdayAreNotUsedToday()
    {
        var (counter, _) = new RunBudgetCounter(default, 0).Reserve(10, Noon);

        Assert.Equal(1, counter.UsedOn(Noon));
        Assert.Equal(0, counter.UsedOn(Noon.AddDays(1)));
    }

    [Fact]
    public void NoveltyScalesTheRitualsValueAndNeverAddsToIt()
    {
        Assert.Equal(0.2, MarginalValue.Terms(0, 0.8, 0, null, novelty: 0.25).Value, 12);
        Assert.Equal(0.8, MarginalValue.Terms(0, 0.8, 0, null, novelty: 3).Value, 12);
        Assert.Equal(0, MarginalValue.Terms(0, 0.8, 0, null, novelty: -1).Value, 12);
    }

    [Fact]
    public void TheRecordedNoveltyIsTheShareOfTheRitualsValueThatCounted()
    {
        var brief = new SignalRef("tick-1", TriggerRegistry.DailyBrief, Noon, MarginalValue.RitualValue(TriggerRegistry.DailyBrief));
        var quiet = TriggerWindow.Scheduled(brief, Noon);

        var terms = MarginalValue.Of(quiet, heat: 0, lastRunAt: Noon - TimeSpan.FromDays(1), Noon);

        var share = MarginalValue.Novelty(TriggerRegistry.DailyBrief, somethingNew: false, TimeSpan.FromDays(1));
        Assert.InRange(share, 0.09, 0.1);
        Assert.Equal(share, terms.Novelty, 12);
        Assert.Equal(0.5, terms.Ritual, 12);
        Assert.Equal(0.5 * share * MarginalValue.Staleness(TimeSpan.FromDays(1)), terms.Value, 12);

        var signalOnly = TriggerWindow.Open(new SignalRef("s-1", "WEBSITE_VISIT", Noon, 0.3), TimeSpan.Zero, TimeSpan.Zero, Noon);
        Assert.Equal(1, MarginalValue.Of(signalOnly, 0, Noon - TimeSpan.FromDays(1), Noon).Novelty);
    }
}

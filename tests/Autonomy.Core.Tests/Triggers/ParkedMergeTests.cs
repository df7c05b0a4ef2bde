using Autonomy.CostGate;
using Autonomy.Triggers;

namespace Autonomy.Tests.Triggers;

/// <summary>A parked window joined with an open one: the open one's timing holds, whichever side is parked.</summary>
public sealed class ParkedMergeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 3, 9, 0, 0, TimeSpan.Zero);

    private static TriggerWindow ParkedVisit() =>
        TriggerWindow.Open(new SignalRef("v-1", "WEBSITE_VISIT", T0, 0.2), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), T0)
            .Parked(MarginalValue.IsRitual, T0)!;

    private static TriggerWindow OpenReply() =>
        TriggerWindow.Open(new SignalRef("r-1", "EMAIL_REPLY_RECEIVED", T0.AddMinutes(5), 0.9), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), T0.AddMinutes(5));

    [Fact]
    public void AParkedWindowNeverComesDueAndARealDebounceIsNeverAParkedOne()
    {
        Assert.True(ParkedVisit().IsParked);
        Assert.Equal(DateTimeOffset.MaxValue, ParkedVisit().DueAt);
        Assert.False(TriggerWindow.Open(new SignalRef("s", "WEBSITE_VISIT", T0, 0.2), TimeSpan.FromTicks(1), TimeSpan.FromTicks(1), T0).IsParked);
    }

    [Fact]
    public void MergingKeepsTheOpenWindowsTimingAndEverySignalWhicheverSideIsParked()
    {
        var open = OpenReply();

        foreach (var merged in new[] { open.Merge(ParkedVisit()), ParkedVisit().Merge(open) })
        {
            Assert.False(merged.IsParked);
            Assert.Equal(open.DueAt, merged.DueAt);
            Assert.Equal(2, merged.SignalCount);
            Assert.Equal(1.1, merged.TotalValue, 12);
            Assert.Equal(["r-1", "v-1"], merged.Signals.Select(s => s.Id).Order(StringComparer.Ordinal));
        }
    }
}

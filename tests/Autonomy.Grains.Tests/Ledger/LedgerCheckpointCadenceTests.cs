using Autonomy.Ledger;
using Microsoft.Extensions.Time.Testing;

namespace Autonomy.Tests.Ledger;

/// <summary>The checkpoint cadence: a pass's pause is a multiple of its duration, bounded by the coverage promise.</summary>
public sealed class LedgerCheckpointCadenceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(3);

    private static TimeSpan Pass(FakeTimeProvider time, LedgerCheckpointCadence cadence, TimeSpan took)
    {
        var started = cadence.Start();
        time.Advance(took);
        return cadence.Passed(started);
    }

    [Fact]
    public void BeforeAnyPassAndAfterAnInstantOneEveryTickIsDue()
    {
        var time = new FakeTimeProvider();
        var cadence = new LedgerCheckpointCadence(time, Interval, MaxAge);
        Assert.True(cadence.IsDue());

        Assert.Equal(TimeSpan.Zero, Pass(time, cadence, TimeSpan.Zero));
        Assert.True(cadence.IsDue());
        Assert.False(cadence.Stretched);
    }

    [Fact]
    public void AShortPassWaitsTwentyTimesItsDurationWithinTheInterval()
    {
        var time = new FakeTimeProvider();
        var cadence = new LedgerCheckpointCadence(time, Interval, MaxAge);
        Assert.Equal(TimeSpan.FromMilliseconds(500), Pass(time, cadence, TimeSpan.FromMilliseconds(500)));

        Assert.Equal(TimeSpan.FromSeconds(10), cadence.Pause);
        Assert.False(cadence.Stretched);
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(cadence.IsDue());
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(cadence.IsDue());
    }

    [Fact]
    public void ALongPassStretchesTheCadenceAndThePauseEndsWithAShortOne()
    {
        var time = new FakeTimeProvider();
        var cadence = new LedgerCheckpointCadence(time, Interval, MaxAge);
        Pass(time, cadence, TimeSpan.FromSeconds(4));

        // 20 × 4 s = 80 s: past the interval, so the minute's tick is skipped; the one after runs.
        Assert.Equal(TimeSpan.FromSeconds(80), cadence.Pause);
        Assert.True(cadence.Stretched);
        time.Advance(Interval);
        Assert.False(cadence.IsDue());
        time.Advance(Interval);
        Assert.True(cadence.IsDue());

        Pass(time, cadence, TimeSpan.FromMilliseconds(100));
        Assert.False(cadence.Stretched);
        Assert.Equal(TimeSpan.FromSeconds(2), cadence.Pause);
    }

    [Fact]
    public void ThePauseNeverMakesAnEntryOverdueForVerify()
    {
        var time = new FakeTimeProvider();
        var cadence = new LedgerCheckpointCadence(time, Interval, MaxAge);
        Pass(time, cadence, TimeSpan.FromSeconds(10));

        // 20 × 10 s = 200 s, but an entry written as the pass began may wait 10 s + pause + 60 s + 10 s, within 3 min.
        Assert.Equal(MaxAge - Interval - TimeSpan.FromSeconds(30), cadence.Pause);
        Assert.True(TimeSpan.FromSeconds(10) + cadence.Pause + Interval + TimeSpan.FromSeconds(10) < MaxAge);

        // A pass so long that no pause fits: the cadence keeps the interval.
        Pass(time, cadence, TimeSpan.FromSeconds(45));
        Assert.Equal(TimeSpan.Zero, cadence.Pause);
        Assert.True(cadence.IsDue());
    }

    [Fact]
    public void AHigherAgeLimitLetsTheCadenceStretchFurther()
    {
        var time = new FakeTimeProvider();
        var cadence = new LedgerCheckpointCadence(time, Interval, TimeSpan.FromMinutes(30), costFactor: 20);
        Pass(time, cadence, TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(200), cadence.Pause);
    }
}

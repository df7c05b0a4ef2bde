using Autonomy.Common;
using CsCheck;

namespace Autonomy.Tests.Common;

public class BackoffTests
{
    [Fact]
    public void EveryDelayLiesInTheJitteredBandAndNeverPassesTheMaximum() =>
        Gen.Select(Gen.Int[-3, 80], Gen.Int[1, 10_000], Gen.Int[1, 600_000], Gen.Double[-1, 2]).Sample((attempt, baseMs, maxMs, random) =>
        {
            var delay = Backoff.Delay(attempt, TimeSpan.FromMilliseconds(baseMs), TimeSpan.FromMilliseconds(maxMs), random);

            var ceiling = Math.Min(maxMs, baseMs * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30)));
            Assert.InRange(delay.TotalMilliseconds, (0.5 * ceiling) - 0.01, ceiling + 0.01);
        });

    [Fact]
    public void DelaysGrowUntilTheMaximum()
    {
        var delays = Enumerable.Range(1, 10).Select(n => Backoff.Delay(n, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5), random: 1)).ToList();

        Assert.Equal(TimeSpan.FromSeconds(2), delays[0]);
        Assert.Equal(TimeSpan.FromSeconds(4), delays[1]);
        Assert.Equal(TimeSpan.FromMinutes(5), delays[^1]);
        Assert.Equal(delays.Order(), delays);
    }

    [Fact]
    public void JitterSpreadsAccountsThatFailedTogether() =>
        Assert.True(Backoff.Delay(3, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5), 0) < Backoff.Delay(3, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5), 1));
}

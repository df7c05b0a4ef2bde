using Autonomy.Perception;
using CsCheck;

namespace Autonomy.Tests.Perception;

public class TokenBucketTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Gen<Throttle> AnyThrottle =
        Gen.Select(Gen.Int[1, 50], Gen.Int[1, 1_000], Gen.Frequency((3, Gen.Const(TimeSpan.FromMinutes(1))), (1, Gen.Int[1, 7_200].Select(s => TimeSpan.FromSeconds(s))), (1, Gen.Long[1, 10_000_000].Select(TimeSpan.FromTicks))),
            (burst, tokens, per) => new Throttle(burst, tokens, per));

    /// <summary>Requests at non-decreasing times, in ticks apart (often the same instant, sometimes long gaps).</summary>
    private static readonly Gen<long[]> Gaps = Gen.Frequency(
        (3, Gen.Const(0L)), (4, Gen.Long[1, 50_000_000]), (1, Gen.Long[0, TimeSpan.FromHours(3).Ticks])).Array[1, 300];

    [Fact]
    public void NoSpanOfTimeGrantsMoreThanTheBurstPlusTheRateTimesTheSpan() =>
        Gen.Select(AnyThrottle, Gaps).Sample((throttle, gaps) =>
        {
            var bucket = TokenBucket.Full(throttle, Start);
            var now = Start;
            var granted = new List<DateTimeOffset>();
            foreach (var gap in gaps)
            {
                now = now.AddTicks(gap);
                (bucket, var decision) = bucket.Take(throttle, now);
                if (decision.Granted)
                {
                    granted.Add(now);
                }
            }

            // Every window [granted[i], granted[j]] holds j - i + 1 grants: at most the burst plus what refilled in between.
            for (var i = 0; i < granted.Count; i++)
            {
                for (var j = i; j < granted.Count && j < i + 200; j++)
                {
                    var span = (granted[j] - granted[i]).Ticks;
                    var refilled = (System.Numerics.BigInteger)span * throttle.Tokens / throttle.Per.Ticks;
                    Assert.True(j - i + 1 <= throttle.Burst + refilled, $"{j - i + 1} grants in {span} ticks: burst {throttle.Burst}, rate {throttle.Tokens}/{throttle.Per}");
                }
            }
        }, iter: 2_000);

    [Fact]
    public void ARefusedRequestIsGrantedExactlyAtItsRetryTimeAndNotOneTickEarlier() =>
        Gen.Select(AnyThrottle, Gaps).Sample((throttle, gaps) =>
        {
            var bucket = TokenBucket.Full(throttle, Start);
            var now = Start;
            foreach (var gap in gaps)
            {
                now = now.AddTicks(gap);
                var (next, decision) = bucket.Take(throttle, now);
                if (!decision.Granted)
                {
                    var retry = decision.RetryAt!.Value;
                    Assert.True(retry > now);
                    Assert.False(bucket.Take(throttle, retry.AddTicks(-1)).Decision.Granted, "one tick before the retry time");
                    Assert.True(bucket.Take(throttle, retry).Decision.Granted, "at the retry time");
                }

                bucket = next;
            }
        }, iter: 2_000);

    [Fact]
    public void RefillIsExactHoweverTheTimeIsSplit() =>
        Gen.Select(AnyThrottle, Gen.Long[1, 10_000_000].Array[1, 50]).Sample((throttle, steps) =>
        {
            // Drain, then refill in many small steps or in one: the same credit either way, no fraction lost.
            var drained = TokenBucket.Full(throttle, Start) with { Credit = 0 };
            var stepped = drained;
            var at = Start;
            foreach (var step in steps)
            {
                at = at.AddTicks(step);
                stepped = stepped.Refill(throttle, at);
            }

            Assert.Equal(drained.Refill(throttle, at).Credit, stepped.Credit);
        }, iter: 5_000);

    [Fact]
    public void AFullBucketGrantsTheBurstAtOnceThenOneTokenPerRefillInterval()
    {
        var throttle = Throttle.PerMinute(burst: 5, perMinute: 60);
        var bucket = TokenBucket.Full(throttle, Start);
        var grants = 0;
        for (var i = 0; i < 20; i++)
        {
            (bucket, var d) = bucket.Take(throttle, Start);
            grants += d.Granted ? 1 : 0;
        }

        Assert.Equal(5, grants);
        var (_, refused) = bucket.Take(throttle, Start);
        Assert.Equal(Start.AddSeconds(1), refused.RetryAt);
        Assert.True(bucket.Take(throttle, Start.AddSeconds(1)).Decision.Granted);
        Assert.Equal(5, bucket.TokensAt(throttle, Start.AddHours(1)));
    }

    [Fact]
    public void TimeRunningBackwardsRefillsNothing()
    {
        var throttle = Throttle.PerMinute(1, 1);
        var (bucket, first) = TokenBucket.Full(throttle, Start).Take(throttle, Start);
        Assert.True(first.Granted);

        var (_, earlier) = bucket.Take(throttle, Start.AddMinutes(-5));
        Assert.False(earlier.Granted);
        Assert.Equal(Start.AddMinutes(1), earlier.RetryAt);
    }

    [Fact]
    public void ASmallerBurstCapsTheCreditAtOnce()
    {
        var bucket = TokenBucket.Full(Throttle.PerMinute(10, 60), Start);
        var smaller = Throttle.PerMinute(2, 60);
        Assert.Equal(2, bucket.TokensAt(smaller, Start));
    }

    [Fact]
    public void InvalidThrottlesAndCountsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => TokenBucket.Full(new Throttle(0, 1, TimeSpan.FromMinutes(1)), Start));
        Assert.Throws<ArgumentException>(() => TokenBucket.Full(new Throttle(1, 0, TimeSpan.FromMinutes(1)), Start));
        var throttle = Throttle.PerMinute(2, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenBucket.Full(throttle, Start).Take(throttle, Start, 3));
    }
}

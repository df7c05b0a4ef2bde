namespace Autonomy.Perception;

/// <summary>A rate limit: at most <see cref="Burst"/> at once, refilled at <see cref="Tokens"/> per <see cref="Per"/>.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.Throttle")]
public sealed record Throttle([property: Id(0)] int Burst, [property: Id(1)] int Tokens, [property: Id(2)] TimeSpan Per)
{
    /// <summary>Bursts of 20 pulls, 600 a minute (10 a second) per tenant and connector.</summary>
    public static readonly Throttle Default = PerMinute(20, 600);

    public static Throttle PerMinute(int burst, int perMinute) => new(burst, perMinute, TimeSpan.FromMinutes(1));

    /// <summary>What one token costs in credit units (<see cref="TokenBucket.Credit"/>): the period's length in ticks.</summary>
    public long TokenCost => Per.Ticks;

    public long Capacity => Burst * Per.Ticks;

    public bool IsValid => Burst >= 1 && Tokens >= 1 && Per > TimeSpan.Zero && Burst <= long.MaxValue / 4 / Per.Ticks;
}

/// <summary>The answer of a bucket: granted, or when the tokens asked for will be there.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.ThrottleDecision")]
public sealed record ThrottleDecision(
    [property: Id(0)] bool Granted,
    [property: Id(1)] DateTimeOffset? RetryAt,
    [property: Id(2)] double TokensLeft);

/// <summary>
/// A token bucket in exact integer arithmetic: <see cref="Credit"/> counts tokens in units of 1/<see cref="Throttle.Per"/>
/// ticks, and every elapsed tick adds <see cref="Throttle.Tokens"/> units, so refill by elapsed time loses no fraction
/// however the calls are spaced. Over any span of time no more than <see cref="Throttle.Burst"/> + rate × span tokens
/// are granted, and a refused request is told the exact tick at which it would be granted. Time comes from the caller.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.TokenBucket")]
public sealed record TokenBucket([property: Id(0)] long Credit, [property: Id(1)] DateTimeOffset At)
{
    /// <summary>A new bucket starts full.</summary>
    public static TokenBucket Full(Throttle throttle, DateTimeOffset now)
    {
        Require(throttle);
        return new(throttle.Capacity, now);
    }

    /// <summary>Whole tokens available (fractions of the next one included).</summary>
    public double TokensAt(Throttle throttle, DateTimeOffset now)
    {
        Require(throttle);
        return (double)Refill(throttle, now).Credit / throttle.TokenCost;
    }

    /// <summary>The bucket at <paramref name="now"/>: credit added for the time since <see cref="At"/>, capped at the burst; time never runs back.</summary>
    public TokenBucket Refill(Throttle throttle, DateTimeOffset now)
    {
        Require(throttle);
        var credit = Math.Min(Credit, throttle.Capacity);
        if (now <= At)
        {
            return credit == Credit ? this : this with { Credit = credit };
        }

        var missing = throttle.Capacity - credit;
        var elapsed = (now - At).Ticks;

        // Only as many ticks as it takes to fill up count, so the product cannot overflow.
        var needed = (missing + throttle.Tokens - 1) / throttle.Tokens;
        var added = elapsed >= needed ? missing : elapsed * throttle.Tokens;
        return new TokenBucket(credit + added, now);
    }

    /// <summary>Takes <paramref name="count"/> tokens if the bucket holds them at <paramref name="now"/>.</summary>
    public (TokenBucket Bucket, ThrottleDecision Decision) Take(Throttle throttle, DateTimeOffset now, int count = 1)
    {
        Require(throttle);
        if (count < 1 || count > throttle.Burst)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"A bucket of burst {throttle.Burst} grants 1 to {throttle.Burst} tokens at once.");
        }

        var bucket = Refill(throttle, now);
        var cost = count * throttle.TokenCost;
        if (bucket.Credit >= cost)
        {
            var left = bucket with { Credit = bucket.Credit - cost };
            return (left, new ThrottleDecision(true, null, (double)left.Credit / throttle.TokenCost));
        }

        // The first tick at which the credit reaches the cost, rounded up: one tick earlier it would not.
        var wait = (cost - bucket.Credit + throttle.Tokens - 1) / throttle.Tokens;
        return (bucket, new ThrottleDecision(false, bucket.At + TimeSpan.FromTicks(wait), (double)bucket.Credit / throttle.TokenCost));
    }

    private static void Require(Throttle throttle)
    {
        ArgumentNullException.ThrowIfNull(throttle);
        if (!throttle.IsValid)
        {
            throw new ArgumentException($"Throttle {throttle} is invalid: burst and tokens must be at least 1 and the period positive.", nameof(throttle));
        }
    }
}

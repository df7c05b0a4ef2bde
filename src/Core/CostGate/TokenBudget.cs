using System.Collections.Immutable;

namespace Autonomy.CostGate;

/// <summary>
/// The answer to a request for engine tokens. A granted reservation counts as used until it is settled with what
/// the call really used; a refused one says when to try again (<see cref="RetryAt"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.gate.TokenReservation")]
public sealed record TokenReservation(
    [property: Id(0)] bool Granted,
    [property: Id(1)] string Id,
    [property: Id(2)] long Tokens,
    [property: Id(3)] long UsedToday,
    [property: Id(4)] long PerDay,
    [property: Id(5)] long InFlight,
    [property: Id(6)] DateTimeOffset ResetsAt,
    [property: Id(7)] DateTimeOffset? RetryAt);

/// <summary>What settling a reservation did: the difference between reserved and used is given back (or, above it, charged).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.gate.TokenSettlement")]
public sealed record TokenSettlement(
    [property: Id(0)] bool Applied,
    [property: Id(1)] string Id,
    [property: Id(2)] long Reserved,
    [property: Id(3)] long Actual,
    [property: Id(4)] long Overrun,
    [property: Id(5)] long UsedToday,
    [property: Id(6)] long PerDay);

/// <summary>
/// A tenant's daily engine-token budget, counted in one place (<c>TokenBudgetGrain</c>), never per silo. A call
/// reserves its expected tokens before it starts (<see cref="Reserve"/>: granted only while reserved plus used
/// stays within the day's budget) and settles with the tokens it really used (<see cref="Settle"/>). While
/// reserved, tokens count as used, so concurrent calls can never together overshoot the budget; a reservation
/// never settled (a crash) stays charged. Pure: time is passed in. The day rolls over at UTC midnight, dropping
/// the previous day's use and its unsettled reservations (a call straddling midnight is charged to the day it
/// reserved on).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.gate.TokenBudgetCounter")]
public sealed record TokenBudgetCounter(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] long Used,
    [property: Id(2)] long Reserved,
    [property: Id(3)] ImmutableDictionary<string, long> Outstanding)
{
    /// <summary>The most reservations one tenant may have in flight at once; beyond it calls wait for settlements.</summary>
    public const int MaxOutstanding = 10_000;

    /// <summary>How soon a refused call tries again when reservations in flight may give back enough.</summary>
    public static readonly TimeSpan InFlightRetry = TimeSpan.FromMinutes(1);

    public static readonly TokenBudgetCounter Empty = new(default, 0, 0, ImmutableDictionary<string, long>.Empty);

    /// <summary>Tokens used or reserved on the UTC day of <paramref name="now"/>.</summary>
    public long UsedOn(DateTimeOffset now) => BudgetDay.Of(now) == Day ? Used : 0;

    /// <summary>Reserves <paramref name="tokens"/> under <paramref name="perDay"/>; asking again with the same id returns the same grant.</summary>
    public (TokenBudgetCounter Counter, TokenReservation Reservation) Reserve(string id, long tokens, long perDay, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(id);
        var day = BudgetDay.Of(now);
        var current = Rolled(day);
        var resets = BudgetDay.End(day);
        tokens = Math.Max(0, tokens);
        var outstanding = current.Outstanding ?? ImmutableDictionary<string, long>.Empty;
        if (outstanding.TryGetValue(id, out var held))
        {
            return (current, new TokenReservation(true, id, held, current.Used, perDay, current.Reserved, resets, null));
        }

        if (current.Used + tokens <= perDay && outstanding.Count < MaxOutstanding)
        {
            var next = current with { Used = current.Used + tokens, Reserved = current.Reserved + tokens, Outstanding = outstanding.Add(id, tokens) };
            return (next, new TokenReservation(true, id, tokens, next.Used, perDay, next.Reserved, resets, null));
        }

        // Refused. If the calls in flight could give back enough when they settle, try again soon; else tomorrow.
        var settled = current.Used - current.Reserved;
        var soon = current.Reserved > 0 && settled + tokens <= perDay ? now + InFlightRetry : resets;
        var retry = soon < resets ? soon : resets;
        return (current, new TokenReservation(false, id, tokens, current.Used, perDay, current.Reserved, resets, retry));
    }

    /// <summary>
    /// Settles a reservation with the tokens the call really used (a negative count is taken as zero). Unknown ids
    /// (settled already, or reserved on a previous day) change nothing.
    /// </summary>
    public (TokenBudgetCounter Counter, TokenSettlement Settlement) Settle(string id, long actual, DateTimeOffset now, long perDay)
    {
        ArgumentNullException.ThrowIfNull(id);
        var current = Rolled(BudgetDay.Of(now));
        actual = Math.Max(0, actual);
        var outstanding = current.Outstanding ?? ImmutableDictionary<string, long>.Empty;
        if (!outstanding.TryGetValue(id, out var reserved))
        {
            return (current, new TokenSettlement(false, id, 0, actual, 0, current.Used, perDay));
        }

        var next = current with { Used = current.Used - reserved + actual, Reserved = current.Reserved - reserved, Outstanding = outstanding.Remove(id) };
        return (next, new TokenSettlement(true, id, reserved, actual, Math.Max(0, actual - reserved), next.Used, perDay));
    }

    private TokenBudgetCounter Rolled(DateOnly day) => day == Day ? this : Empty with { Day = day };
}

/// <summary>
/// The tokens an engine call is expected to use at most, reserved before it starts: the prompt counted as one
/// token per UTF-8 byte (no byte-level BPE tokenizer, the GPT, Llama 3 or Qwen families', makes more tokens than
/// bytes), a few tokens of chat framing per message, and the completion's cap (<c>max_tokens</c>), which the
/// provider enforces. An upper bound, so settling only ever gives tokens back; a provider counting otherwise shows
/// up as an overrun in the settlement.
/// </summary>
public static class TokenEstimate
{
    public const int PerMessage = 8;
    public const int Framing = 16;

    public static long UpperBound(long promptUtf8Bytes, int messages, long maxOutputTokens) =>
        Math.Max(0, promptUtf8Bytes) + (PerMessage * (long)Math.Max(0, messages)) + Framing + Math.Max(0, maxOutputTokens);
}

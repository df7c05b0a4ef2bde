using System.Collections.Immutable;
using Autonomy.Ledger;

namespace Autonomy.Perception;

/// <summary>An account's pull cadence for one connector, as its view shows it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullView")]
public sealed record PullView(
    [property: Id(0)] string Connector,
    [property: Id(1)] HeatTier Tier,
    [property: Id(2)] TimeSpan Interval,
    [property: Id(3)] DateTimeOffset? LastPullAt,
    [property: Id(4)] DateTimeOffset NextPullAt,
    [property: Id(5)] PullOutcome LastOutcome);

/// <summary>PULL_SCHEDULED: a connector's pull came due, with the cadence it was due under.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullScheduledPayload")]
public sealed record PullScheduledPayload(
    [property: Id(0)] string Connector, [property: Id(1)] HeatTier Tier, [property: Id(2)] double IntervalSeconds, [property: Id(3)] DateTimeOffset DueAt,
    [property: Id(4)] DateTimeOffset? LastPullAt, [property: Id(5)] string Reason) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullScheduled;
}

/// <summary>PULL_DEFERRED: the connector's throttle had no token.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullDeferredPayload")]
public sealed record PullDeferredPayload(
    [property: Id(0)] string Connector, [property: Id(1)] string Reason, [property: Id(2)] DateTimeOffset RetryAt, [property: Id(3)] double TokensLeft,
    [property: Id(4)] int Burst, [property: Id(5)] double PerMinute) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullDeferred;
}

/// <summary>PULL_SKIPPED: the tenant's pull budget for the day is spent.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullSkippedPayload")]
public sealed record PullSkippedPayload(
    [property: Id(0)] string Connector, [property: Id(1)] string Reason, [property: Id(2)] long UsedToday, [property: Id(3)] long PerDay, [property: Id(4)] DateTimeOffset RetryAt) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullSkipped;
}

/// <summary>PULL_COMPLETED: what the pull brought and the cadence after it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullCompletedPayload")]
public sealed record PullCompletedPayload(
    [property: Id(0)] string Connector, [property: Id(1)] int Signals, [property: Id(2)] int Accepted, [property: Id(3)] int Duplicates, [property: Id(4)] int Dropped,
    [property: Id(5)] bool PostureChanged, [property: Id(6)] bool Fresh, [property: Id(7)] double IntervalSeconds, [property: Id(8)] DateTimeOffset NextPullAt) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullCompleted;
}

/// <summary>PULL_FAILED: why the connector gave nothing usable, and the backoff.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullFailedPayload")]
public sealed record PullFailedPayload(
    [property: Id(0)] string Connector, [property: Id(1)] string Reason, [property: Id(2)] string Error, [property: Id(3)] int Failures, [property: Id(4)] DateTimeOffset RetryAt) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullFailed;
}

/// <summary>
/// What an account's pulls are planned from, as its account grain sees it now: whether the account exists, its heat
/// tier, when its last signal arrived (fresh data), and the stored cadence per connector.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullBasis")]
public sealed record PullBasis(
    [property: Id(0)] bool Exists,
    [property: Id(1)] HeatTier Tier,
    [property: Id(2)] DateTimeOffset? LastSignalAt,
    [property: Id(3)] ImmutableDictionary<string, PullState> Pulls);

/// <summary>
/// A step of a pull for the account's ledger, whose single writer is the account grain: PULL_SCHEDULED and what
/// followed it (PULL_DEFERRED, PULL_SKIPPED, PULL_COMPLETED or PULL_FAILED), written in that order under
/// <see cref="PullId"/>, and the cadence per connector after it. No entry: the cadence was only planned again.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullRecord")]
public sealed record PullRecord(
    [property: Id(0)] string? PullId,
    [property: Id(1)] ImmutableDictionary<string, PullState> Pulls,
    [property: Id(2)] PullScheduledPayload? Scheduled = null,
    [property: Id(3)] PullDeferredPayload? Deferred = null,
    [property: Id(4)] PullSkippedPayload? Skipped = null,
    [property: Id(5)] PullCompletedPayload? Completed = null,
    [property: Id(6)] PullFailedPayload? Failed = null)
{
    /// <summary>The entries of this step in the order they are written, each with its type.</summary>
    public IEnumerable<ILedgerPayload> Entries()
    {
        ILedgerPayload?[] all = [Scheduled, Deferred, Skipped, Completed, Failed];
        return all.OfType<ILedgerPayload>();
    }
}

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

public sealed record PullScheduledPayload(string Connector, HeatTier Tier, double IntervalSeconds, DateTimeOffset DueAt, DateTimeOffset? LastPullAt, string Reason) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullScheduled;
}

public sealed record PullDeferredPayload(string Connector, string Reason, DateTimeOffset RetryAt, double TokensLeft, int Burst, double PerMinute) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullDeferred;
}

public sealed record PullSkippedPayload(string Connector, string Reason, long UsedToday, long PerDay, DateTimeOffset RetryAt) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullSkipped;
}

public sealed record PullCompletedPayload(
    string Connector, int Signals, int Accepted, int Duplicates, int Dropped, bool PostureChanged, bool Fresh, double IntervalSeconds, DateTimeOffset NextPullAt) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullCompleted;
}

public sealed record PullFailedPayload(string Connector, string Reason, string Error, int Failures, DateTimeOffset RetryAt) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.PullFailed;
}

using System.Diagnostics.Metrics;

namespace Autonomy.Ledger;

/// <summary>The ledger's instruments, on the "Autonomy" meter that the silo exports.</summary>
public static class LedgerMetrics
{
    /// <summary>The meter name to subscribe to (OpenTelemetry <c>AddMeter</c>).</summary>
    public const string MeterName = "Autonomy";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Milliseconds from a caller's enqueue to its entries being durable.</summary>
    internal static readonly Histogram<double> CommitLag = Meter.CreateHistogram<double>(
        "autonomy.ledger.commit_lag", "ms", "Time from enqueue to durable commit of a ledger append.");

    /// <summary>Entries made durable.</summary>
    internal static readonly Counter<long> Entries = Meter.CreateCounter<long>(
        "autonomy.ledger.entries", "{entry}", "Ledger entries committed.");

    /// <summary>Entries per committed transaction; how well group commit groups.</summary>
    internal static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "autonomy.ledger.batch_size", "{entry}", "Ledger entries written in one transaction.");

    /// <summary>Appends refused because the group committer's queue was full: the store is behind (answered 503).</summary>
    internal static readonly Counter<long> Refused = Meter.CreateCounter<long>(
        "autonomy.ledger.refused", "{append}", "Ledger appends refused because the store was behind and the queue full.");
}

namespace Autonomy.Ledger;

/// <summary>The append-only, hash-chained store of every step: <see cref="SqlLedger"/>, on SQLite (embedded) or PostgreSQL (cluster).</summary>
public interface ILedger
{
    /// <summary>Appends entries (already chained by their writer); completes only when they are durable.</summary>
    Task AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Reads the last entry of a stream, or null for a new stream.</summary>
    Task<LedgerHead?> ReadHeadAsync(string streamId, CancellationToken cancellationToken = default);

    /// <summary>Reads entries of one stream with seq greater than <paramref name="afterSeq"/>, in order.</summary>
    Task<IReadOnlyList<LedgerEntry>> ReadStreamAsync(string streamId, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Reads a page of a tenant's entries, oldest first.</summary>
    Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default);

    /// <summary>Streams a tenant's entries, oldest first, for NDJSON export.</summary>
    IAsyncEnumerable<LedgerEntry> ExportAsync(string tenantId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default);

    /// <summary>Walks every chain of a tenant and names the first broken entry.</summary>
    Task<LedgerVerification> VerifyAsync(string tenantId, CancellationToken cancellationToken = default);
}

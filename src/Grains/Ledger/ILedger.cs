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

    /// <summary>Walks every chain and the checkpoint chain of a tenant, also against the last checkpoint its writer wrote.</summary>
    Task<LedgerVerification> VerifyAsync(string tenantId, LedgerCheckpointWitness? witness, CancellationToken cancellationToken = default) =>
        VerifyAsync(tenantId, cancellationToken);

    /// <summary>
    /// As <see cref="VerifyAsync(string, LedgerCheckpointWitness?, CancellationToken)"/>, and an entry older than
    /// <paramref name="coverage"/> allows that no checkpoint covers is a problem (<see cref="LedgerVerifier.CheckpointOverdue"/>).
    /// </summary>
    Task<LedgerVerification> VerifyAsync(string tenantId, LedgerCheckpointWitness? witness, LedgerCoverageRule? coverage, CancellationToken cancellationToken = default) =>
        coverage is null
            ? VerifyAsync(tenantId, witness, cancellationToken)
            : throw new NotSupportedException("This ledger keeps no checkpoints.");

    /// <summary>
    /// The heads of a tenant's streams that have entries after <paramref name="cursor"/> (null: from the start),
    /// and the cursor after the newest entry read (commit-ordered, like <see cref="QueryAsync"/>'s: an entry that
    /// commits later is never behind it). No change: no heads, the same cursor.
    /// </summary>
    Task<LedgerHeadChanges> ReadChangedHeadsAsync(string tenantId, string? cursor, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This ledger keeps no checkpoints.");

    /// <summary>The hashes the store holds at the given (stream, seq); pairs with no entry are left out.</summary>
    Task<IReadOnlyList<LedgerCheckpointHead>> ReadHashesAtAsync(IReadOnlyCollection<(string StreamId, long Seq)> at, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This ledger keeps no checkpoints.");

    /// <summary>
    /// Appends a checkpoint to its tenant's checkpoint chain with the entry cursor it read through (kept for its
    /// writer, not signed), and records its heads (<see cref="ReadRecordedHeadsAsync"/>) in the same transaction.
    /// A checkpoint seq already taken is a <see cref="LedgerConflictException"/>.
    /// </summary>
    Task AppendCheckpointAsync(LedgerCheckpoint checkpoint, string? cursor, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This ledger keeps no checkpoints.");

    /// <summary>A tenant's checkpoints in seq order.</summary>
    IAsyncEnumerable<LedgerCheckpoint> ReadCheckpointsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This ledger keeps no checkpoints.");

    /// <summary>The tenant's last checkpoint and the entry cursor it read through, or null (no checkpoint yet).</summary>
    Task<LedgerCheckpointTip?> ReadLastCheckpointAsync(string tenantId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This ledger keeps no checkpoints.");

    /// <summary>
    /// The heads the tenant's checkpoints recorded, one per stream (the newest checkpoint's that recorded it), in
    /// canonical stream order (<see cref="LedgerCheckpoints.CompareStreamIds"/>): an index of the checkpoint chain
    /// the store keeps so that its writer holds no per-stream state. Not trusted on its own: the writer checks its
    /// Merkle root against the last signed checkpoint before using it.
    /// </summary>
    IAsyncEnumerable<LedgerRecordedHead> ReadRecordedHeadsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This ledger keeps no checkpoints.");

    /// <summary>Replaces every recorded head of the tenant with <paramref name="heads"/> (rebuilt from the checkpoint chain), in one transaction.</summary>
    Task ReplaceRecordedHeadsAsync(string tenantId, IEnumerable<LedgerRecordedHead> heads, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This ledger keeps no checkpoints.");
}

/// <summary>What <see cref="ILedger.ReadChangedHeadsAsync"/> found: the changed heads and the cursor to ask from next.</summary>
public sealed record LedgerHeadChanges(IReadOnlyList<LedgerCheckpointHead> Heads, string? Cursor);

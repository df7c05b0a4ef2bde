using System.Security.Cryptography;

namespace Autonomy.Ledger;

/// <summary>A stream's head as the tenant's checkpoints last recorded it, and the checkpoint that did.</summary>
public sealed record LedgerRecordedHead(string StreamId, long Seq, string Hash, string CheckpointId);

/// <summary>A tenant's last checkpoint and the entry cursor its writer read through (bookkeeping, not signed).</summary>
public sealed record LedgerCheckpointTip(LedgerCheckpoint Checkpoint, string? Cursor);

/// <summary>
/// What one walk over a tenant's recorded heads (in canonical order) tells the checkpoint writer: the root and
/// count of the heads as recorded (to compare with the last signed checkpoint), the root and count with the
/// current heads put in, and the recorded heads of the streams that changed.
/// </summary>
public sealed record LedgerHeadsPass(
    string RecordedRoot,
    long RecordedCount,
    string NextRoot,
    long NextCount,
    IReadOnlyDictionary<string, LedgerRecordedHead> RecordedOfCurrent);

/// <summary>The checkpoint writer's pure rules over recorded and current heads, shared with the verifier's replay.</summary>
public static class LedgerRecordedHeads
{
    /// <summary>
    /// The heads of <paramref name="current"/> lower than recorded, or at the recorded seq with another hash: a
    /// truncated or rewritten stream. <paramref name="recorded"/> gives a stream's recorded head, or null.
    /// </summary>
    public static IReadOnlyList<LedgerTruncation> Regressions(IEnumerable<LedgerCheckpointHead> current, Func<string, LedgerRecordedHead?> recorded)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(recorded);
        var found = new List<LedgerTruncation>();
        foreach (var head in current)
        {
            if (recorded(head.StreamId) is { } r
                && (head.Seq < r.Seq || (head.Seq == r.Seq && !string.Equals(head.Hash, r.Hash, StringComparison.Ordinal))))
            {
                found.Add(new LedgerTruncation(head.StreamId, r.Seq, r.Hash, head.Seq, r.CheckpointId));
            }
        }

        return found;
    }

    /// <summary>The heads of <paramref name="current"/> that differ from what is recorded (new streams, other seqs), in canonical order.</summary>
    public static IReadOnlyList<LedgerCheckpointHead> Changed(IEnumerable<LedgerCheckpointHead> current, Func<string, LedgerRecordedHead?> recorded)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(recorded);
        return current
            .Where(h => recorded(h.StreamId) is not { } r || r.Seq != h.Seq || !string.Equals(r.Hash, h.Hash, StringComparison.Ordinal))
            .OrderBy(h => h.StreamId, LedgerCheckpoints.StreamIdComparer)
            .ToList();
    }

    /// <summary>
    /// Walks <paramref name="recordedInOrder"/> once, merging <paramref name="current"/> in: memory for the current
    /// heads and a logarithmic Merkle stack, never for every stream. Recorded heads out of canonical order (or a
    /// stream twice) are a store that does not keep its index: <see cref="InvalidOperationException"/>.
    /// </summary>
    public static async Task<LedgerHeadsPass> PassAsync(
        IAsyncEnumerable<LedgerRecordedHead> recordedInOrder, IReadOnlyCollection<LedgerCheckpointHead> current, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recordedInOrder);
        ArgumentNullException.ThrowIfNull(current);
        using var walk = new LedgerHeadsWalk(current);
        await foreach (var head in recordedInOrder.WithCancellation(cancellationToken))
        {
            walk.Add(head);
        }

        return walk.Finish();
    }
}

/// <summary>
/// The walk of <see cref="LedgerRecordedHeads.PassAsync"/>, one recorded head at a time: each head's leaf is hashed
/// once on the stack and serves both roots, and the root with the changes shares every subtree the changes did not
/// touch (<see cref="MerkleRootPair"/>), so an unchanged head costs one leaf hash and one inner hash, with no
/// allocation beyond the row the store gave; every hash of the walk runs on one reused SHA-256 instance.
/// </summary>
public sealed class LedgerHeadsWalk : IDisposable
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<LedgerCheckpointHead> _pending;
    private readonly Dictionary<string, LedgerRecordedHead> _found = new(StringComparer.Ordinal);
    private readonly MerkleRootPair _roots;
    private int _next;
    private string? _previous;

    /// <summary>A walk that puts <paramref name="current"/> in (any order; one head per stream).</summary>
    public LedgerHeadsWalk(IReadOnlyCollection<LedgerCheckpointHead> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        _pending = current.OrderBy(h => h.StreamId, LedgerCheckpoints.StreamIdComparer).ToList();
        _roots = new MerkleRootPair(_sha256);
    }

    /// <summary>The next recorded head, in canonical order.</summary>
    public void Add(LedgerRecordedHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (_previous is not null && LedgerCheckpoints.CompareStreamIds(_previous, head.StreamId) >= 0)
        {
            throw new InvalidOperationException($"Recorded heads out of canonical order: '{head.StreamId}' after '{_previous}'.");
        }

        _previous = head.StreamId;
        while (_next < _pending.Count && LedgerCheckpoints.CompareStreamIds(_pending[_next].StreamId, head.StreamId) < 0)
        {
            PushNew(_pending[_next++]);
        }

        Span<byte> leaf = stackalloc byte[SHA256.HashSizeInBytes];
        LedgerCheckpoints.LeafHash(head.StreamId, head.Seq, head.Hash, leaf, _sha256);
        if (_next < _pending.Count && string.Equals(_pending[_next].StreamId, head.StreamId, StringComparison.Ordinal))
        {
            var now = _pending[_next++];
            Span<byte> changed = stackalloc byte[SHA256.HashSizeInBytes];
            LedgerCheckpoints.LeafHash(now.StreamId, now.Seq, now.Hash, changed, _sha256);
            _roots.PushBoth(leaf, changed);
            _found[head.StreamId] = head;
        }
        else
        {
            _roots.PushBoth(leaf, leaf);
        }
    }

    /// <summary>Both roots and counts, once every recorded head was added.</summary>
    public LedgerHeadsPass Finish()
    {
        while (_next < _pending.Count)
        {
            PushNew(_pending[_next++]);
        }

        return new LedgerHeadsPass(_roots.First.Root(), _roots.First.Count, _roots.Second.Root(), _roots.Second.Count, _found);
    }

    /// <inheritdoc />
    public void Dispose() => _sha256.Dispose();

    private void PushNew(LedgerCheckpointHead head)
    {
        Span<byte> leaf = stackalloc byte[SHA256.HashSizeInBytes];
        LedgerCheckpoints.LeafHash(head.StreamId, head.Seq, head.Hash, leaf, _sha256);
        _roots.PushSecond(leaf);
    }
}

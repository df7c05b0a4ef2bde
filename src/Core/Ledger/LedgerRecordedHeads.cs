using System.Security.Cryptography;

namespace Autonomy.Ledger;

/// <summary>A stream's head as the tenant's checkpoints last recorded it, and the checkpoint that did.</summary>
public sealed record LedgerRecordedHead(string StreamId, long Seq, string Hash, string CheckpointId);

/// <summary>A tenant's last checkpoint and the entry cursor its writer read through (bookkeeping, not signed).</summary>
public sealed record LedgerCheckpointTip(LedgerCheckpoint Checkpoint, string? Cursor);

/// <summary>
/// The RFC 6962 Merkle root of leaves pushed one at a time in canonical order, in memory logarithmic in their
/// number: a stack of perfect subtrees of strictly falling size, the two newest merged whenever they are equal;
/// at the end the stack is folded from the newest down. The tree is the one <see cref="LedgerCheckpoints.MerkleRoot(IReadOnlyList{byte[]})"/>
/// builds (it splits at the largest power of two below the count, which is the oldest subtree of the stack).
/// </summary>
public sealed class MerkleRootBuilder
{
    private readonly List<(byte[] Hash, long Size)> _stack = [];

    /// <summary>How many leaves were pushed.</summary>
    public long Count { get; private set; }

    /// <summary>Adds the next leaf hash (a <see cref="LedgerCheckpoints.LeafHash"/>).</summary>
    public void Push(byte[] leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var node = (Hash: leaf, Size: 1L);
        while (_stack.Count > 0 && _stack[^1].Size == node.Size)
        {
            node = (Inner(_stack[^1].Hash, node.Hash), node.Size * 2);
            _stack.RemoveAt(_stack.Count - 1);
        }

        _stack.Add(node);
        Count++;
    }

    /// <summary>The root (hex) of every leaf pushed so far; <see cref="LedgerCheckpoints.EmptyRoot"/> for none.</summary>
    public string Root()
    {
        if (_stack.Count == 0)
        {
            return LedgerCheckpoints.EmptyRoot;
        }

        var root = _stack[^1].Hash;
        for (var i = _stack.Count - 2; i >= 0; i--)
        {
            root = Inner(_stack[i].Hash, root);
        }

        return Convert.ToHexStringLower(root);
    }

    private static byte[] Inner(byte[] left, byte[] right)
    {
        Span<byte> buffer = stackalloc byte[1 + (2 * SHA256.HashSizeInBytes)];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + SHA256.HashSizeInBytes)..]);
        return SHA256.HashData(buffer);
    }
}

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
        var pending = current.OrderBy(h => h.StreamId, LedgerCheckpoints.StreamIdComparer).ToList();
        var wanted = pending.Select(h => h.StreamId).ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, LedgerRecordedHead>(StringComparer.Ordinal);
        var before = new MerkleRootBuilder();
        var after = new MerkleRootBuilder();
        var next = 0;
        string? previous = null;
        await foreach (var head in recordedInOrder.WithCancellation(cancellationToken))
        {
            if (previous is not null && LedgerCheckpoints.CompareStreamIds(previous, head.StreamId) >= 0)
            {
                throw new InvalidOperationException($"Recorded heads out of canonical order: '{head.StreamId}' after '{previous}'.");
            }

            previous = head.StreamId;
            var leaf = LedgerCheckpoints.LeafHash(head.StreamId, head.Seq, head.Hash);
            before.Push(leaf);
            while (next < pending.Count && LedgerCheckpoints.CompareStreamIds(pending[next].StreamId, head.StreamId) < 0)
            {
                after.Push(Leaf(pending[next++]));
            }

            if (next < pending.Count && pending[next].StreamId == head.StreamId)
            {
                after.Push(Leaf(pending[next++]));
            }
            else
            {
                after.Push(leaf);
            }

            if (wanted.Contains(head.StreamId))
            {
                found[head.StreamId] = head;
            }
        }

        while (next < pending.Count)
        {
            after.Push(Leaf(pending[next++]));
        }

        return new LedgerHeadsPass(before.Root(), before.Count, after.Root(), after.Count, found);
    }

    private static byte[] Leaf(LedgerCheckpointHead head) => LedgerCheckpoints.LeafHash(head.StreamId, head.Seq, head.Hash);
}

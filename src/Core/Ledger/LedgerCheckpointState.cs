namespace Autonomy.Ledger;

/// <summary>
/// What a tenant's checkpoint chain has recorded so far: per stream the highest head any checkpoint recorded,
/// and the last checkpoint. The verifier rebuilds one by replaying the chain (for the length of one verification),
/// and so does the checkpoint writer when the store's recorded heads do not match the last signed checkpoint;
/// the writer itself keeps none between checkpoints (<see cref="LedgerCheckpointWriter"/>). Merkle leaves are cached per stream, so a root
/// costs one hash per inner node.
/// </summary>
public sealed class LedgerCheckpointState
{
    private readonly SortedDictionary<string, Entry> _heads = new(LedgerCheckpoints.StreamIdComparer);
    private string? _root;

    /// <summary>The seq of the last checkpoint applied (0: none).</summary>
    public long Seq { get; private set; }

    /// <summary>The hash of the last checkpoint applied (<see cref="LedgerHash.Genesis"/>: none).</summary>
    public string Hash { get; private set; } = LedgerHash.Genesis;

    /// <summary>The last checkpoint applied, or null.</summary>
    public LedgerCheckpoint? Last { get; private set; }

    /// <summary>How many streams have a recorded head.</summary>
    public int StreamCount => _heads.Count;

    /// <summary>The recorded head of a stream and the checkpoint that recorded it, or null.</summary>
    public (long Seq, string Hash, string CheckpointId)? HeadOf(string streamId) =>
        _heads.TryGetValue(streamId, out var head) ? (head.Seq, head.Hash, head.CheckpointId) : null;

    /// <summary>Every recorded head, in canonical stream order.</summary>
    public IEnumerable<LedgerCheckpointHead> Heads => _heads.Select(h => new LedgerCheckpointHead(h.Key, h.Value.Seq, h.Value.Hash));

    /// <summary>Every recorded head with the checkpoint that recorded it, in canonical stream order.</summary>
    public IEnumerable<LedgerRecordedHead> Recorded => _heads.Select(h => new LedgerRecordedHead(h.Key, h.Value.Seq, h.Value.Hash, h.Value.CheckpointId));

    /// <summary>
    /// The heads of <paramref name="current"/> that this state would have a checkpoint record lower than (or at the
    /// same seq with another hash) than an earlier checkpoint did: a truncated or rewritten stream.
    /// </summary>
    public IReadOnlyList<LedgerTruncation> Regressions(IEnumerable<LedgerCheckpointHead> current) => LedgerRecordedHeads.Regressions(current, Lookup);

    /// <summary>The heads of <paramref name="current"/> that differ from what is recorded (new streams, higher seqs).</summary>
    public IReadOnlyList<LedgerCheckpointHead> Changed(IEnumerable<LedgerCheckpointHead> current) => LedgerRecordedHeads.Changed(current, Lookup);

    /// <summary>The Merkle root and stream count there would be after recording <paramref name="changed"/>, without recording them.</summary>
    public (string Root, long StreamCount) Preview(IReadOnlyList<LedgerCheckpointHead> changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        if (changed.Count == 0)
        {
            return (MerkleRoot(), _heads.Count);
        }

        var byStream = changed.ToDictionary(h => h.StreamId, StringComparer.Ordinal);
        var leaves = new List<byte[]>(_heads.Count + changed.Count);
        var merged = new SortedSet<string>(_heads.Keys, LedgerCheckpoints.StreamIdComparer);
        merged.UnionWith(byStream.Keys);
        foreach (var stream in merged)
        {
            leaves.Add(byStream.TryGetValue(stream, out var head)
                ? LedgerCheckpoints.LeafHash(head.StreamId, head.Seq, head.Hash)
                : _heads[stream].Leaf);
        }

        return (LedgerCheckpoints.MerkleRoot(leaves), merged.Count);
    }

    /// <summary>The Merkle root over every recorded head.</summary>
    public string MerkleRoot() => _root ??= LedgerCheckpoints.MerkleRoot(_heads.Values.Select(h => h.Leaf).ToList());

    /// <summary>Records a checkpoint's heads (the caller has checked it) and makes it the last.</summary>
    public void Apply(LedgerCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        foreach (var head in checkpoint.Heads)
        {
            _heads[head.StreamId] = new Entry(head.Seq, head.Hash, checkpoint.CheckpointId, LedgerCheckpoints.LeafHash(head.StreamId, head.Seq, head.Hash));
        }

        if (!checkpoint.Heads.IsEmpty)
        {
            _root = null;
        }

        Seq = checkpoint.Seq;
        Hash = checkpoint.Hash;
        Last = checkpoint;
    }

    private LedgerRecordedHead? Lookup(string streamId) =>
        _heads.TryGetValue(streamId, out var head) ? new LedgerRecordedHead(streamId, head.Seq, head.Hash, head.CheckpointId) : null;

    private sealed record Entry(long Seq, string Hash, string CheckpointId, byte[] Leaf);
}

/// <summary>A stream whose head is behind (or beside) what checkpoint <see cref="CheckpointId"/> recorded.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ledger.Truncation")]
public sealed record LedgerTruncation(
    [property: Id(0)] string StreamId,
    [property: Id(1)] long RecordedSeq,
    [property: Id(2)] string RecordedHash,
    [property: Id(3)] long FoundSeq,
    [property: Id(4)] string CheckpointId);

using System.Security.Cryptography;

namespace Autonomy.Ledger;

/// <summary>
/// The RFC 6962 Merkle root of leaves pushed one at a time in canonical order, in memory logarithmic in their
/// number: a stack of perfect subtrees of strictly falling size, the two newest merged whenever they are equal;
/// at the end the stack is folded from the newest down. The tree is the one <see cref="LedgerCheckpoints.MerkleRoot(IReadOnlyList{byte[]})"/>
/// builds (it splits at the largest power of two below the count, which is the oldest subtree of the stack). The
/// stack is one fixed buffer (at most 64 subtrees for any count a long holds): pushing allocates nothing. Inner
/// hashes use the SHA-256 <see cref="IncrementalHash"/> given (its owner disposes it), or a one-shot hash each.
/// </summary>
public sealed class MerkleRootBuilder(IncrementalHash? sha256 = null)
{
    private const int Size = SHA256.HashSizeInBytes;
    private const int MaxLevels = 64;

    private readonly byte[] _hashes = new byte[MaxLevels * Size];
    private readonly long[] _sizes = new long[MaxLevels];

    /// <summary>How many leaves were pushed.</summary>
    public long Count { get; private set; }

    /// <summary>How many subtrees the stack holds.</summary>
    internal int Depth { get; private set; }

    /// <summary>Adds the next leaf hash (a <see cref="LedgerCheckpoints.LeafHash(string, long, string)"/>).</summary>
    public void Push(byte[] leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        Push(leaf.AsSpan());
    }

    /// <summary>Adds the next leaf hash (32 bytes).</summary>
    public void Push(ReadOnlySpan<byte> leaf)
    {
        PushUnmerged(leaf);
        while (CanMerge)
        {
            Merge();
        }
    }

    /// <summary>The root (hex) of every leaf pushed so far; <see cref="LedgerCheckpoints.EmptyRoot"/> for none.</summary>
    public string Root()
    {
        if (Depth == 0)
        {
            return LedgerCheckpoints.EmptyRoot;
        }

        Span<byte> root = stackalloc byte[Size];
        Slot(Depth - 1).CopyTo(root);
        for (var i = Depth - 2; i >= 0; i--)
        {
            Inner(Slot(i), root, root);
        }

        return Convert.ToHexStringLower(root);
    }

    /// <summary>True when the two newest subtrees have the same size (the next <see cref="Merge"/> is due).</summary>
    internal bool CanMerge => Depth > 1 && _sizes[Depth - 2] == _sizes[Depth - 1];

    /// <summary>Puts a leaf on the stack without merging (the caller merges while <see cref="CanMerge"/>).</summary>
    internal void PushUnmerged(ReadOnlySpan<byte> leaf)
    {
        if (leaf.Length != Size)
        {
            throw new ArgumentException($"A leaf hash has {Size} bytes.", nameof(leaf));
        }

        leaf.CopyTo(Slot(Depth));
        _sizes[Depth] = 1;
        Depth++;
        Count++;
    }

    /// <summary>Merges the two newest subtrees into their parent.</summary>
    internal void Merge()
    {
        Inner(Slot(Depth - 2), Slot(Depth - 1), Slot(Depth - 2));
        _sizes[Depth - 2] *= 2;
        Depth--;
    }

    /// <summary>Replaces the two newest subtrees by a parent whose hash is known (<paramref name="parent"/>), hashing nothing.</summary>
    internal void MergeAs(ReadOnlySpan<byte> parent)
    {
        parent.CopyTo(Slot(Depth - 2));
        _sizes[Depth - 2] *= 2;
        Depth--;
    }

    /// <summary>The hash of the newest subtree.</summary>
    internal ReadOnlySpan<byte> Top => Slot(Depth - 1);

    private Span<byte> Slot(int level) => _hashes.AsSpan(level * Size, Size);

    private void Inner(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        Span<byte> buffer = stackalloc byte[1 + (2 * Size)];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        LedgerCheckpoints.Sha256(buffer, destination, sha256);
    }
}

/// <summary>
/// Two Merkle roots over leaf sequences that mostly agree, built in one walk: the tree as recorded and the tree
/// with the current heads put in. While both have seen the same number of leaves (no new stream yet) their stacks
/// have the same shape, and a subtree whose leaves are all the same in both has the same hash: the second tree
/// takes it from the first instead of hashing it again, so only the log-many inner nodes above a changed leaf cost a
/// second hash. A leaf only the second tree has (a new stream) ends that sharing; from there the two are built apart.
/// Both use <paramref name="sha256"/> when given (a SHA-256 <see cref="IncrementalHash"/> its owner disposes).
/// </summary>
public sealed class MerkleRootPair(IncrementalHash? sha256 = null)
{
    private const int MaxLevels = 64;

    private readonly bool[] _same = new bool[MaxLevels];
    private bool _aligned = true;

    /// <summary>The first tree (as recorded).</summary>
    public MerkleRootBuilder First { get; } = new(sha256);

    /// <summary>The second tree (with the changes).</summary>
    public MerkleRootBuilder Second { get; } = new(sha256);

    /// <summary>The next leaf of both trees: <paramref name="first"/> of the first, <paramref name="second"/> of the second.</summary>
    public void PushBoth(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        if (!_aligned)
        {
            First.Push(first);
            Second.Push(second);
            return;
        }

        First.PushUnmerged(first);
        Second.PushUnmerged(second);
        _same[First.Depth - 1] = first.SequenceEqual(second);
        while (First.CanMerge)
        {
            First.Merge();
            var depth = First.Depth;
            if (_same[depth - 1] && _same[depth])
            {
                Second.MergeAs(First.Top);
            }
            else
            {
                Second.Merge();
                _same[depth - 1] = false;
            }
        }
    }

    /// <summary>The next leaf of the second tree only (a stream the first does not have).</summary>
    public void PushSecond(ReadOnlySpan<byte> second)
    {
        _aligned = false;
        Second.Push(second);
    }
}

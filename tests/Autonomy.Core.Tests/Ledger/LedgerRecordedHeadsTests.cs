using Autonomy.Ledger;
using CsCheck;

namespace Autonomy.Tests.Ledger;

/// <summary>The checkpoint writer's walk over recorded heads: a streamed Merkle root equal to the recursive one, and both roots of a pass.</summary>
public sealed class LedgerRecordedHeadsTests
{
    private static readonly Gen<byte[]> Leaf = Gen.Byte.Array[32];

    private static readonly Gen<LedgerCheckpointHead[]> Heads =
        Gen.Select(Gen.String[Gen.Char["abé/"], 1, 4], Gen.Long[1, 9], Gen.Char["0123456789abcdef"].Array[64].Select(c => new string(c)),
                (s, q, h) => new LedgerCheckpointHead(s, q, h))
            .Array[0, 30]
            .Select(heads => heads.DistinctBy(h => h.StreamId).ToArray());

    [Fact]
    public void TheStreamedRootIsTheRecursiveRootForAnyNumberOfLeaves() =>
        Leaf.Array[0, 300].Sample(leaves =>
        {
            var builder = new MerkleRootBuilder();
            foreach (var leaf in leaves)
            {
                builder.Push(leaf);
            }

            Assert.Equal((LedgerCheckpoints.MerkleRoot(leaves), (long)leaves.Length), (builder.Root(), builder.Count));
        });

    [Fact]
    public void APairOfRootsSharingUnchangedSubtreesGivesBothRecursiveRoots() =>
        Gen.Select(Leaf, Gen.Int[0, 3]).Array[0, 300].Sample(steps =>
        {
            // Per step: 0 or 1 the same leaf in both trees, 2 another leaf in the second, 3 a leaf only the second has.
            using var sha256 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var pair = new MerkleRootPair(sha256);
            var first = new List<byte[]>();
            var second = new List<byte[]>();
            foreach (var (leaf, kind) in steps)
            {
                var other = kind == 2 ? System.Security.Cryptography.SHA256.HashData(leaf) : leaf;
                if (kind == 3)
                {
                    pair.PushSecond(leaf);
                    second.Add(leaf);
                    continue;
                }

                pair.PushBoth(leaf, other);
                first.Add(leaf);
                second.Add(other);
            }

            Assert.Equal((LedgerCheckpoints.MerkleRoot(first), (long)first.Count), (pair.First.Root(), pair.First.Count));
            Assert.Equal((LedgerCheckpoints.MerkleRoot(second), (long)second.Count), (pair.Second.Root(), pair.Second.Count));
        });

    [Fact]
    public async Task APassOverManyStreamsWithAFewChangedGivesBothRoots()
    {
        var recorded = Enumerable.Range(0, 1000).Select(i => new LedgerRecordedHead($"s{i:D4}", 1, $"h{i}", "cp-1")).ToList();
        LedgerCheckpointHead[] current = [new("s0007", 2, "x"), new("s0512", 3, "y"), new("s0999", 2, "z"), new("s0100", 1, "h100")];
        var pass = await LedgerRecordedHeads.PassAsync(recorded.ToAsyncEnumerable(), current);

        var next = recorded.Select(r => current.FirstOrDefault(c => c.StreamId == r.StreamId) ?? new LedgerCheckpointHead(r.StreamId, r.Seq, r.Hash)).ToList();
        Assert.Equal(LedgerCheckpoints.MerkleRoot(recorded.Select(r => new LedgerCheckpointHead(r.StreamId, r.Seq, r.Hash))), pass.RecordedRoot);
        Assert.Equal((LedgerCheckpoints.MerkleRoot(next), 1000L), (pass.NextRoot, pass.NextCount));
        Assert.Equal(["s0007", "s0100", "s0512", "s0999"], pass.RecordedOfCurrent.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ALeafHashWrittenToASpanIsTheAllocatedOneForLongStreamIdsToo()
    {
        Span<byte> leaf = stackalloc byte[32];
        foreach (var id in new[] { "a", "account/t/é", new string('x', 2000) })
        {
            LedgerCheckpoints.LeafHash(id, 12345678901, "abc", leaf);
            Assert.Equal(LedgerCheckpoints.LeafHash(id, 12345678901, "abc"), leaf.ToArray());
        }
    }

    [Fact]
    public void APassGivesTheRootAsRecordedTheRootWithTheCurrentHeadsAndTheRecordedHeadsOfThem() =>
        Gen.Select(Heads, Heads).Sample((recordedHeads, current) =>
        {
            var recorded = recordedHeads.OrderBy(h => h.StreamId, LedgerCheckpoints.StreamIdComparer)
                .Select(h => new LedgerRecordedHead(h.StreamId, h.Seq, h.Hash, "cp-" + h.StreamId)).ToList();
            var pass = LedgerRecordedHeads.PassAsync(recorded.ToAsyncEnumerable(), current).GetAwaiter().GetResult();

            var next = recordedHeads.Where(r => current.All(c => c.StreamId != r.StreamId)).Concat(current).ToList();
            Assert.Equal((LedgerCheckpoints.MerkleRoot(recordedHeads), (long)recordedHeads.Length), (pass.RecordedRoot, pass.RecordedCount));
            Assert.Equal((LedgerCheckpoints.MerkleRoot(next), (long)next.Count), (pass.NextRoot, pass.NextCount));
            Assert.Equal(
                recorded.Where(r => current.Any(c => c.StreamId == r.StreamId)).OrderBy(r => r.StreamId, StringComparer.Ordinal),
                pass.RecordedOfCurrent.Values.OrderBy(r => r.StreamId, StringComparer.Ordinal));
        });

    [Fact]
    public async Task RecordedHeadsOutOfCanonicalOrderAreRefusedNotHashed()
    {
        LedgerRecordedHead[] unordered = [new("b", 1, "h", "c"), new("a", 1, "h", "c")];
        await Assert.ThrowsAsync<InvalidOperationException>(() => LedgerRecordedHeads.PassAsync(unordered.ToAsyncEnumerable(), []));
        LedgerRecordedHead[] twice = [new("a", 1, "h", "c"), new("a", 2, "h", "c")];
        await Assert.ThrowsAsync<InvalidOperationException>(() => LedgerRecordedHeads.PassAsync(twice.ToAsyncEnumerable(), []));
    }

    [Fact]
    public void RegressionsAndChangesAreJudgedAgainstTheRecordedHead()
    {
        var recorded = new LedgerRecordedHead("s", 5, "h5", "cp-1");
        LedgerRecordedHead? Lookup(string id) => id == "s" ? recorded : null;

        Assert.Equal([new LedgerTruncation("s", 5, "h5", 4, "cp-1")], LedgerRecordedHeads.Regressions([new("s", 4, "h4")], Lookup));
        Assert.Single(LedgerRecordedHeads.Regressions([new("s", 5, "other")], Lookup));
        Assert.Empty(LedgerRecordedHeads.Regressions([new("s", 5, "h5"), new("s", 6, "h6"), new("new", 1, "h")], Lookup));
        Assert.Equal(["new", "s"], LedgerRecordedHeads.Changed([new("s", 6, "h6"), new("new", 1, "h")], Lookup).Select(h => h.StreamId));
        Assert.Empty(LedgerRecordedHeads.Changed([new("s", 5, "h5")], Lookup));
    }
}

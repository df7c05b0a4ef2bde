using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Autonomy.Ledger;
using CsCheck;

namespace Autonomy.Tests.Ledger;

/// <summary>The checkpoint chain in memory: canonical bytes, Merkle roots, signatures and keys, and what verify finds.</summary>
public sealed partial class LedgerCheckpointTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    // HMAC keys, as earlier builds signed with: the chain rules below hold whatever the algorithm.
    private static readonly LedgerCheckpointHmacKey K1 = new("k1", new string('a', 40));
    private static readonly LedgerCheckpointHmacKey K2 = new("k2", new string('b', 40));
    private static readonly LedgerCheckpointKeyring Ring = new([K1]);

    // --- canonical order and Merkle tree ---

    private static readonly string[] Atoms = ["a", "z", "/", "é", "\uE000", "\uFFFD", "\U0001F600", "\U0001D11E"];

    private static readonly Gen<string> StreamText =
        Gen.Int[0, 7].Select(i => Atoms[i]).Array[0, 4].Select(parts => string.Concat(parts));

    [Fact]
    public void StreamIdsAreOrderedByTheirUtf8Bytes() =>
        Gen.Select(StreamText, StreamText).Sample((x, y) =>
            Assert.Equal(Math.Sign(Compare(Encoding.UTF8.GetBytes(x), Encoding.UTF8.GetBytes(y))), Math.Sign(LedgerCheckpoints.CompareStreamIds(x, y))));

    [Fact]
    public void TheMerkleTreeIsRfc6962()
    {
        var a = new LedgerCheckpointHead("account/t1/a", 3, new string('1', 64));
        var b = new LedgerCheckpointHead("account/t1/b", 1, new string('2', 64));
        var c = new LedgerCheckpointHead("tenant/t1", 7, new string('3', 64));
        var la = LedgerCheckpoints.LeafHash(a.StreamId, a.Seq, a.Hash);
        var lb = LedgerCheckpoints.LeafHash(b.StreamId, b.Seq, b.Hash);
        var lc = LedgerCheckpoints.LeafHash(c.StreamId, c.Seq, c.Hash);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([])), LedgerCheckpoints.MerkleRoot(Array.Empty<LedgerCheckpointHead>()));
        Assert.Equal(Convert.ToHexStringLower(la), LedgerCheckpoints.MerkleRoot([a]));
        // Three leaves split at two: (a, b) then c.
        var ab = SHA256.HashData([0x01, .. la, .. lb]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([0x01, .. ab, .. lc])), LedgerCheckpoints.MerkleRoot([c, a, b]));
        // A leaf is SHA-256 of 0x00 and the length-prefixed stream id, seq text and hash.
        var data = new List<byte> { 0x00 };
        foreach (var field in new[] { a.StreamId, "3", a.Hash })
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            data.AddRange([(byte)(bytes.Length >> 24), (byte)(bytes.Length >> 16), (byte)(bytes.Length >> 8), (byte)bytes.Length]);
            data.AddRange(bytes);
        }

        Assert.Equal(la, SHA256.HashData([.. data]));
    }

    private static readonly Gen<LedgerCheckpointHead[]> DistinctHeads =
        Gen.Select(Gen.String[Gen.Char["ab/é"], 1, 5], Gen.Long[1, 50], Gen.Char["0123456789abcdef"].Array[64].Select(c => new string(c)),
                (s, q, h) => new LedgerCheckpointHead(s, q, h))
            .Array[0, 20]
            .Select(heads => heads.DistinctBy(h => h.StreamId).ToArray());

    [Fact]
    public void TheRootIgnoresInputOrderAndSeesEveryHead() =>
        Gen.Select(DistinctHeads, Gen.Int, Gen.Int[0, 19]).Sample((heads, seed, which) =>
        {
            var root = LedgerCheckpoints.MerkleRoot(heads);
            Assert.Equal(root, LedgerCheckpoints.MerkleRoot(heads.OrderBy(_ => new Random(seed).Next()).ToArray()));
            if (heads.Length > 0)
            {
                var changed = heads.ToArray();
                var i = which % heads.Length;
                changed[i] = changed[i] with { Seq = changed[i].Seq + 1 };
                Assert.NotEqual(root, LedgerCheckpoints.MerkleRoot(changed));
                Assert.NotEqual(root, LedgerCheckpoints.MerkleRoot(heads.Where((_, j) => j != i).ToArray()));
            }
        });

    [Fact]
    public void TheStateRootIsTheRootOfEveryRecordedHead() =>
        DistinctHeads.Array[1, 5].Sample(rounds =>
        {
            var state = new LedgerCheckpointState();
            var all = new Dictionary<string, LedgerCheckpointHead>();
            foreach (var round in rounds)
            {
                var changed = state.Changed(round.Select(h => h with { Seq = (state.HeadOf(h.StreamId)?.Seq ?? 0) + h.Seq }));
                var (root, count) = state.Preview(changed);
                var checkpoint = LedgerCheckpoints.Create("t1", state.Seq + 1, Start, changed, count, root, state.Hash, K1);
                state.Apply(checkpoint);
                foreach (var head in changed)
                {
                    all[head.StreamId] = head;
                }

                Assert.Equal(LedgerCheckpoints.MerkleRoot(all.Values), state.MerkleRoot());
                Assert.Equal(all.Count, checkpoint.StreamCount);
            }
        });

    // --- signatures and keys ---

    [Fact]
    public void ASignatureVerifiesOnlyUnderItsKeyAndOverEveryField() =>
        Gen.Select(DistinctHeads, Gen.Int[0, 7]).Sample((heads, field) =>
        {
            var checkpoint = LedgerCheckpoints.Create("t1", 4, Start, heads, heads.Length, LedgerCheckpoints.MerkleRoot(heads), LedgerHash.Genesis, K1);
            Assert.True(LedgerCheckpoints.HasValidSignature(checkpoint, K1));
            Assert.False(LedgerCheckpoints.HasValidSignature(checkpoint, K2));
            Assert.Equal(checkpoint.Hash, LedgerCheckpoints.ComputeHash(checkpoint));

            var tampered = field switch
            {
                0 => checkpoint with { Seq = 5 },
                1 => checkpoint with { TenantId = "t2" },
                2 => checkpoint with { At = Start.AddTicks(1) },
                3 => checkpoint with { StreamCount = checkpoint.StreamCount + 1 },
                4 => checkpoint with { PrevHash = new string('f', 64) },
                5 => checkpoint with { KeyId = "k2" },
                6 => checkpoint with { Heads = checkpoint.Heads.Add(new LedgerCheckpointHead("zz", 1, "x")) },
                _ => checkpoint with { MerkleRoot = new string('e', 64) },
            };
            Assert.False(LedgerCheckpoints.HasValidSignature(tampered, K1));
            Assert.NotEqual(checkpoint.Hash, LedgerCheckpoints.ComputeHash(tampered));
        });

    [Fact]
    public void AKeyringParsesHmacIdSecretPairsWhichVerifyButNeverSign()
    {
        var ring = LedgerCheckpointKeyring.Parse($"# a comment, with a comma\nk1={new string('a', 40)}\n\nk2={new string('b', 40)}==");
        Assert.Null(ring.Current);
        Assert.Throws<InvalidOperationException>(() => ring.SigningKey);
        Assert.Equal(["k1", "k2"], ring.Ids.Order(StringComparer.Ordinal));
        Assert.All(ring.Keys, k => Assert.Equal(LedgerCheckpointAlgorithms.HmacSha256, k.Algorithm));
        Assert.Contains("HMAC", Assert.Throws<ArgumentException>(() => LedgerCheckpointKeyring.Parse($"k1={new string('a', 40)},k2={new string('b', 40)}", "k1")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LedgerCheckpointKeyring.Parse("k1=short"));
        Assert.Throws<ArgumentException>(() => LedgerCheckpointKeyring.Parse($"bad id={new string('a', 40)}"));
        Assert.Throws<FormatException>(() => LedgerCheckpointKeyring.Parse("no-equals-sign"));
        Assert.DoesNotContain(new string('a', 40), K1.ToString(), StringComparison.Ordinal);
    }

    // --- verification against checkpoints ---

    /// <summary>A tenant of a few streams, each entry chained, checkpointed after some rounds of appends as the writer would.</summary>
    private sealed class Tenant
    {
        public List<StoredLedgerEntry> Entries { get; } = [];

        public List<LedgerCheckpoint> Checkpoints { get; } = [];

        public LedgerCheckpointState State { get; } = new();

        private DateTimeOffset _now = Start;

        /// <summary>Lets time pass before the next append or checkpoint.</summary>
        public void Wait(TimeSpan time) => _now += time;

        public void Append(string stream, int count)
        {
            for (var i = 0; i < count; i++)
            {
                _now = _now.AddSeconds(1);
                var last = Entries.LastOrDefault(e => e.StreamId == stream);
                var seq = (last?.Seq ?? 0) + 1;
                var prev = last?.Hash ?? LedgerHash.Genesis;
                var id = $"le_{stream}_{seq}";
                var at = LedgerHash.FormatTime(_now);
                var hash = LedgerHash.Compute(id, "t1", stream, seq, null, "SIGNAL_INGESTED", LedgerHash.ParseTime(at), "system", "{}", prev);
                Entries.Add(new StoredLedgerEntry(id, "t1", stream, seq, null, "SIGNAL_INGESTED", at, "system", "{}", prev, hash));
            }
        }

        /// <summary>The next checkpoint, signed by <paramref name="key"/>; given <paramref name="claimedId"/>, it names that key id instead, as a forger would.</summary>
        public LedgerCheckpoint Checkpoint(LedgerCheckpointKey? key = null, string? claimedId = null)
        {
            _now = _now.AddSeconds(1);
            var heads = Entries.GroupBy(e => e.StreamId).Select(g => g.MaxBy(e => e.Seq)!).Select(e => new LedgerCheckpointHead(e.StreamId, e.Seq, e.Hash));
            Assert.Empty(State.Regressions(heads));
            var changed = State.Changed(heads);
            var (root, count) = State.Preview(changed);
            var checkpoint = LedgerCheckpoints.Create("t1", State.Seq + 1, _now, changed, count, root, State.Hash, key ?? K1);
            if (claimedId is not null)
            {
                var unsigned = checkpoint with { KeyId = claimedId };
                var bytes = LedgerCheckpoints.CanonicalBytes(unsigned);
                checkpoint = unsigned with { Hash = Convert.ToHexStringLower(SHA256.HashData(bytes)), Signature = (key ?? K1).Sign(bytes) };
            }

            State.Apply(checkpoint);
            Checkpoints.Add(checkpoint);
            return checkpoint;
        }

        public Task<LedgerVerification> VerifyAsync(LedgerCheckpointKeyring? keys = null, LedgerCheckpointWitness? witness = null, bool noKeys = false) =>
            LedgerVerifier.VerifyAsync(
                Async(Entries.OrderBy(e => e.StreamId, LedgerCheckpoints.StreamIdComparer).ThenBy(e => e.Seq)),
                Async(Checkpoints), noKeys ? null : keys ?? Ring, witness, CancellationToken.None);

        public void Cut(string stream, int last)
        {
            var seqs = Entries.Where(e => e.StreamId == stream).Select(e => e.Seq).OrderDescending().Take(last).ToHashSet();
            Entries.RemoveAll(e => e.StreamId == stream && seqs.Contains(e.Seq));
        }
    }

    private static async IAsyncEnumerable<T> Async<T>(IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }

    private static readonly Gen<(int Streams, int[][] Rounds)> History =
        Gen.Int[1, 4].SelectMany(streams => Gen.Int[0, 3].Array[streams].Array[1, 5].Select(rounds => (streams, rounds)));

    private static Tenant Build((int Streams, int[][] Rounds) history)
    {
        var tenant = new Tenant();
        foreach (var round in history.Rounds)
        {
            for (var s = 0; s < history.Streams; s++)
            {
                tenant.Append($"account/t1/a{s}", round[s]);
            }

            tenant.Checkpoint();
        }

        return tenant;
    }

    [Fact]
    public Task AnIntactCheckpointedTenantVerifiesAndCountsWhatIsCovered() =>
        Gen.Select(History, Gen.Int[0, 3]).SampleAsync(async (history, after) =>
        {
            var tenant = Build(history);
            tenant.Append("account/t1/a0", after);
            var result = await tenant.VerifyAsync();

            Assert.True(result.Ok, result.Problem);
            Assert.Equal(tenant.Entries.Count, result.Entries);
            Assert.Equal(tenant.Entries.Count - after, result.CheckpointedEntries);
            Assert.Equal(tenant.Checkpoints.Count, result.Checkpoints);
            Assert.True(result.SignaturesChecked);
            if (after == 0)
            {
                Assert.Null(result.NotYetCheckpointed);
            }
            else
            {
                var pending = tenant.Entries.TakeLast(after).ToList();
                Assert.Equal(new LedgerUncheckpointed(after, LedgerHash.ParseTime(pending[0].At), LedgerHash.ParseTime(pending[^1].At)), result.NotYetCheckpointed);
            }
        });

    [Fact]
    public Task ACutTailOfACheckpointedStreamIsReportedAsTruncation() =>
        Gen.Select(History, Gen.Int[1, 3]).Where((h, _) => h.Rounds.Sum(r => r[0]) > 0).SampleAsync(async (history, cut) =>
        {
            var tenant = Build(history);
            var stream = "account/t1/a0";
            var head = tenant.State.HeadOf(stream)!.Value;
            tenant.Cut(stream, cut);
            var result = await tenant.VerifyAsync();

            Assert.False(result.Ok);
            Assert.Equal((LedgerVerifier.StreamTruncated, stream, head.CheckpointId), (result.Problem, result.StreamId, result.FirstBrokenEntryId));
        });

    [Fact]
    public async Task CuttingEveryStreamOfATenantIsReported()
    {
        var tenant = Build((3, [[2, 1, 3], [1, 1, 0]]));
        tenant.Entries.Clear();
        var result = await tenant.VerifyAsync();
        Assert.Equal((false, LedgerVerifier.StreamTruncated), (result.Ok, result.Problem));
    }

    [Fact]
    public async Task ACutOfOnlyUncheckpointedEntriesIsNotATruncation()
    {
        var tenant = Build((1, [[3]]));
        tenant.Append("account/t1/a0", 2);
        tenant.Cut("account/t1/a0", 2);
        var result = await tenant.VerifyAsync();
        Assert.True(result.Ok);
        Assert.Null(result.NotYetCheckpointed);
    }

    [Fact]
    public async Task ARewrittenStreamWithValidHashesDoesNotMatchItsCheckpoint()
    {
        var tenant = Build((1, [[3]]));
        var head = tenant.Entries[^1];
        // The forger rewrites the whole stream consistently: every link and hash is valid, the checkpoint is not.
        tenant.Entries.Clear();
        tenant.Append("account/t1/a0", 2);
        tenant.Append("account/t1/a0", 1);
        var result = await tenant.VerifyAsync();
        Assert.Equal((LedgerVerifier.CheckpointMismatch, tenant.Entries[^1].EntryId), (result.Problem, result.FirstBrokenEntryId));
        Assert.NotEqual(head.Hash, tenant.Entries[^1].Hash);
    }

    [Fact]
    public async Task AForgedCheckpointWithoutTheKeyIsDetected()
    {
        var tenant = Build((2, [[2, 1]]));
        tenant.Append("account/t1/a0", 1);
        var forger = new LedgerCheckpointHmacKey("k1", new string('z', 40));
        var forged = tenant.Checkpoint(forger);

        var result = await tenant.VerifyAsync();
        Assert.Equal((false, LedgerVerifier.CheckpointSignatureInvalid, forged.CheckpointId), (result.Ok, result.Problem, result.FirstBrokenEntryId));
        Assert.Equal(1, result.Checkpoints);

        var unsignedCheck = await tenant.VerifyAsync(noKeys: true);
        Assert.True(unsignedCheck.Ok);
        Assert.False(unsignedCheck.SignaturesChecked);
    }

    [Fact]
    public async Task RotatedKeysKeepOldCheckpointsVerifying()
    {
        var tenant = Build((1, [[2], [1]]));
        tenant.Append("account/t1/a0", 1);
        tenant.Checkpoint(K2);

        Assert.True((await tenant.VerifyAsync(new LedgerCheckpointKeyring([K1, K2]))).Ok);
        var withoutOld = await tenant.VerifyAsync(new LedgerCheckpointKeyring([K2]));
        Assert.Equal((LedgerVerifier.CheckpointKeyUnknown, tenant.Checkpoints[0].CheckpointId), (withoutOld.Problem, withoutOld.FirstBrokenEntryId));
    }

    [Fact]
    public async Task ACheckpointRecordingALowerHeadIsReportedEvenWhenSigned()
    {
        var tenant = Build((1, [[3]]));
        var lower = tenant.Entries[1];
        var state = tenant.State;
        var heads = new[] { new LedgerCheckpointHead(lower.StreamId, lower.Seq, lower.Hash) };
        Assert.Single(state.Regressions(heads));
        // Signed with the real key, as a buggy or coerced writer would: verify still refuses it.
        var all = new[] { new LedgerCheckpointHead(lower.StreamId, lower.Seq, lower.Hash) };
        var backwards = LedgerCheckpoints.Create("t1", state.Seq + 1, Start.AddHours(1), heads, 1, LedgerCheckpoints.MerkleRoot(all), state.Hash, K1);
        tenant.Checkpoints.Add(backwards);

        var result = await tenant.VerifyAsync();
        Assert.Equal((LedgerVerifier.CheckpointHeadBackwards, backwards.CheckpointId, lower.StreamId), (result.Problem, result.FirstBrokenEntryId, result.StreamId));
    }

    [Fact]
    public async Task ABrokenCheckpointChainIsReported()
    {
        var tenant = Build((1, [[1], [1], [1]]));
        var relinked = tenant.Checkpoints.ToList();
        tenant.Checkpoints.RemoveAt(1);
        var gap = await tenant.VerifyAsync();
        Assert.Equal((LedgerVerifier.CheckpointSequenceGap, relinked[2].CheckpointId), (gap.Problem, gap.FirstBrokenEntryId));

        tenant.Checkpoints.Clear();
        tenant.Checkpoints.AddRange([relinked[0], relinked[1] with { Hash = new string('0', 64) }]);
        var hash = await tenant.VerifyAsync();
        Assert.Equal(LedgerVerifier.CheckpointHashMismatch, hash.Problem);

        var wrongRoot = LedgerCheckpoints.Create("t1", 2, Start, relinked[1].Heads, 1, new string('9', 64), relinked[0].Hash, K1);
        tenant.Checkpoints[1] = wrongRoot;
        Assert.Equal(LedgerVerifier.CheckpointMerkleMismatch, (await tenant.VerifyAsync()).Problem);
    }

    [Fact]
    public async Task ACutCheckpointChainIsReportedAgainstItsWitness()
    {
        var tenant = Build((2, [[1, 1], [1, 0], [0, 2]]));
        var last = tenant.Checkpoints[^1];
        var witness = new LedgerCheckpointWitness(last.Seq, last.Hash);
        Assert.True((await tenant.VerifyAsync(witness: witness)).Ok);

        tenant.Checkpoints.RemoveAt(tenant.Checkpoints.Count - 1);
        var result = await tenant.VerifyAsync(witness: witness);
        Assert.Equal((false, LedgerVerifier.CheckpointChainTruncated, tenant.Checkpoints[^1].CheckpointId), (result.Ok, result.Problem, result.FirstBrokenEntryId));
    }

    [Fact]
    public void TheWriterRefusesToRecordALowerOrRewrittenHead()
    {
        var tenant = Build((1, [[3]]));
        var head = tenant.Entries[^1];
        Assert.Equal(
            [new LedgerTruncation(head.StreamId, 3, head.Hash, 2, tenant.Checkpoints[0].CheckpointId)],
            tenant.State.Regressions([new LedgerCheckpointHead(head.StreamId, 2, "x")]));
        Assert.Single(tenant.State.Regressions([new LedgerCheckpointHead(head.StreamId, 3, "other")]));
        Assert.Empty(tenant.State.Regressions([new LedgerCheckpointHead(head.StreamId, 4, "next"), new LedgerCheckpointHead("new", 1, "h")]));
    }

    [Fact]
    public async Task AnExportVerifiedOfflineAnswersAsTheWalkDoes()
    {
        var tenant = Build((3, [[2, 1, 1], [1, 0, 2]]));
        tenant.Append("account/t1/a2", 2);
        var lines = new StringBuilder(Export(tenant));
        Assert.Equal(await tenant.VerifyAsync(), await LedgerExportVerifier.VerifyAsync(new StringReader(lines.ToString()), Ring));

        var removed = tenant.Entries.Last(e => e.StreamId == "account/t1/a1").EntryId;
        tenant.Cut("account/t1/a1", 1);
        var cutLines = string.Join('\n', lines.ToString().Split('\n').Where(l => !l.Contains($"\"{removed}\"", StringComparison.Ordinal)));
        var offline = await LedgerExportVerifier.VerifyAsync(new StringReader(cutLines), Ring);
        Assert.Equal(await tenant.VerifyAsync(), offline);
        Assert.Equal(LedgerVerifier.StreamTruncated, offline.Problem);

        Assert.Equal(LedgerExportVerifier.ExportMalformed, (await LedgerExportVerifier.VerifyAsync(new StringReader("{not json"), Ring)).Problem);
    }

    /// <summary>The tenant as an NDJSON export: entry lines (in time order), then, unless left out, its checkpoint lines.</summary>
    private static string Export(Tenant tenant, bool withCheckpoints = true)
    {
        var lines = new StringBuilder();
        foreach (var e in tenant.Entries.OrderBy(e => e.At, StringComparer.Ordinal))
        {
            lines.Append(System.Text.Json.JsonSerializer.Serialize(new
            {
                entryId = e.EntryId,
                tenantId = e.TenantId,
                streamId = e.StreamId,
                seq = e.Seq,
                runId = e.RunId,
                type = e.Type,
                at = LedgerHash.ParseTime(e.At),
                actor = e.Actor,
                payload = System.Text.Json.Nodes.JsonNode.Parse(e.Payload),
                prevHash = e.PrevHash,
                hash = e.Hash,
            })).Append('\n');
        }

        if (!withCheckpoints)
        {
            return lines.ToString();
        }

        using (var buffer = new MemoryStream())
        {
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                foreach (var checkpoint in tenant.Checkpoints)
                {
                    LedgerCheckpointJson.WriteLine(writer, checkpoint);
                    writer.Flush();
                    writer.Reset();
                    buffer.WriteByte((byte)'\n');
                }
            }

            lines.Append(Encoding.UTF8.GetString(buffer.ToArray()));
        }

        return lines.ToString();
    }

    private static int Compare(byte[] x, byte[] y)
    {
        for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            if (x[i] != y[i])
            {
                return x[i].CompareTo(y[i]);
            }
        }

        return x.Length.CompareTo(y.Length);
    }

    [Fact]
    public void TheCanonicalBytesAreTaggedAndLengthPrefixed()
    {
        var checkpoint = LedgerCheckpoints.Create("t1", 1, Start, ImmutableArray<LedgerCheckpointHead>.Empty, 0, LedgerCheckpoints.EmptyRoot, LedgerHash.Genesis, K1, "lc_x");
        var bytes = LedgerCheckpoints.CanonicalBytes(checkpoint);
        Assert.Equal([0, 0, 0, 22], bytes[..4]);
        Assert.Equal(LedgerCheckpoints.VersionTag, Encoding.UTF8.GetString(bytes, 4, 22));
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(K1.Secret.Span, bytes)), checkpoint.Signature);
    }
}

using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Autonomy.Ledger;

/// <summary>The head of one stream as a checkpoint records it: its last seq and that entry's hash.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ledger.CheckpointHead")]
public sealed record LedgerCheckpointHead(
    [property: Id(0)] string StreamId,
    [property: Id(1)] long Seq,
    [property: Id(2)] string Hash);

/// <summary>
/// A signed statement of a tenant's ledger at one moment, written periodically by
/// <see cref="LedgerCheckpointGrain"/>. Checkpoints form a chain of their own (seq 1, 2, ... per tenant, each
/// <see cref="PrevHash"/> the previous checkpoint's <see cref="Hash"/>, the first <see cref="LedgerHash.Genesis"/>).
/// <see cref="Heads"/> are the heads of the streams that changed since the previous checkpoint (ascending by
/// stream id, see <see cref="LedgerCheckpoints.CompareStreamIds"/>); <see cref="MerkleRoot"/> is over the heads of
/// ALL <see cref="StreamCount"/> streams of the tenant as known after applying them. <see cref="Hash"/> is SHA-256
/// of <see cref="LedgerCheckpoints.CanonicalBytes"/> in lower-case hex, and <see cref="Signature"/> the signature of
/// those bytes by the key named by <see cref="KeyId"/>: ECDSA P-256 in base64 (new checkpoints) or, written by
/// earlier builds, HMAC-SHA256 in lower-case hex (<see cref="LedgerCheckpointKey"/>). The signature is not in the
/// canonical bytes, so neither the hash nor the chain depends on it.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.ledger.Checkpoint")]
public sealed record LedgerCheckpoint(
    [property: Id(0)] string CheckpointId,
    [property: Id(1)] string TenantId,
    [property: Id(2)] long Seq,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] ImmutableArray<LedgerCheckpointHead> Heads,
    [property: Id(5)] long StreamCount,
    [property: Id(6)] string MerkleRoot,
    [property: Id(7)] string PrevHash,
    [property: Id(8)] string KeyId,
    [property: Id(9)] string Hash,
    [property: Id(10)] string Signature)
{
    /// <summary>The algorithm the signature's form shows (<see cref="LedgerCheckpointAlgorithms.Of"/>): informative, a verifier goes by its key.</summary>
    public string? Algorithm => LedgerCheckpointAlgorithms.Of(Signature);
}

/// <summary>
/// The canonical encoding, Merkle tree, hashing and signing of <see cref="LedgerCheckpoint"/>s, written so that
/// another language can recompute all of it from an export:
/// <list type="bullet">
/// <item>Fields are encoded as in <see cref="LedgerHash"/>: a 4-byte big-endian length and the UTF-8 bytes;
/// numbers as their invariant decimal text; times as <see cref="LedgerHash.FormatTime"/>.</item>
/// <item>Canonical bytes: the tag <c>autonomy.checkpoint.v1</c>, then checkpointId, tenantId, seq, at, keyId,
/// prevHash, merkleRoot, streamCount, the number of heads, and for each head streamId, seq, hash.</item>
/// <item>Stream ids are ordered by their UTF-8 bytes, compared unsigned byte by byte (a prefix first).</item>
/// <item>Merkle tree (RFC 6962, section 2.1): the leaves are every stream of the tenant in that order, leaf
/// data = encoded streamId, seq, hash; leaf hash = SHA-256(0x00 || data); node = SHA-256(0x01 || left || right),
/// splitting n leaves at the largest power of two below n; the root of no leaves is SHA-256 of nothing.</item>
/// </list>
/// </summary>
public static class LedgerCheckpoints
{
    /// <summary>Changing the encoding means a new tag, so old checkpoints stay verifiable under the old one.</summary>
    public const string VersionTag = "autonomy.checkpoint.v1";

    /// <summary>The prefix of checkpoint ids ("lc_" and a ULID, like entry ids).</summary>
    public const string IdPrefix = "lc_";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The Merkle root of no streams: SHA-256 of the empty string.</summary>
    public static string EmptyRoot { get; } = Convert.ToHexStringLower(SHA256.HashData([]));

    /// <summary>A new checkpoint id, sortable by time like an entry id.</summary>
    public static string NewId(DateTimeOffset at) => IdPrefix + LedgerEntryIds.New(at)[LedgerEntryIds.Prefix.Length..];

    /// <summary>Orders stream ids by their UTF-8 bytes (unsigned, byte by byte, a prefix first).</summary>
    public static int CompareStreamIds(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        // UTF-16 code-unit order equals UTF-8 byte order except for surrogates against U+E000..U+FFFF.
        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a == b)
            {
                continue;
            }

            return Fix(a).CompareTo(Fix(b));
        }

        return x.Length.CompareTo(y.Length);

        // Moves surrogates above U+E000..U+FFFF, which is where their 4-byte UTF-8 forms sort.
        static int Fix(char c) => c >= 0xD800 && c <= 0xDFFF ? c + 0x2000 : c >= 0xE000 ? c - 0x800 : c;
    }

    /// <summary>The comparer of <see cref="CompareStreamIds"/>.</summary>
    public static IComparer<string> StreamIdComparer { get; } = Comparer<string>.Create(CompareStreamIds);

    /// <summary>The bytes that are hashed and signed.</summary>
    public static byte[] CanonicalBytes(LedgerCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var writer = new ArrayBufferWriter<byte>(256 + (checkpoint.Heads.IsDefault ? 0 : checkpoint.Heads.Length * 128));
        Write(writer, VersionTag);
        Write(writer, checkpoint.CheckpointId);
        Write(writer, checkpoint.TenantId);
        Write(writer, Number(checkpoint.Seq));
        Write(writer, LedgerHash.FormatTime(checkpoint.At));
        Write(writer, checkpoint.KeyId);
        Write(writer, checkpoint.PrevHash);
        Write(writer, checkpoint.MerkleRoot);
        Write(writer, Number(checkpoint.StreamCount));
        var heads = checkpoint.Heads.IsDefault ? [] : checkpoint.Heads;
        Write(writer, Number(heads.Length));
        foreach (var head in heads)
        {
            Write(writer, head.StreamId);
            Write(writer, Number(head.Seq));
            Write(writer, head.Hash);
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>SHA-256 of the canonical bytes, lower-case hex.</summary>
    public static string ComputeHash(LedgerCheckpoint checkpoint) => Convert.ToHexStringLower(SHA256.HashData(CanonicalBytes(checkpoint)));

    /// <summary>
    /// Builds a checkpoint: the changed heads in canonical order, its hash, and its signature with
    /// <paramref name="key"/> (whose id it records; the writer's is always its keyring's P-256 private key).
    /// </summary>
    public static LedgerCheckpoint Create(
        string tenantId, long seq, DateTimeOffset at, IEnumerable<LedgerCheckpointHead> changedHeads, long streamCount,
        string merkleRoot, string prevHash, LedgerCheckpointKey key, string? checkpointId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentOutOfRangeException.ThrowIfLessThan(seq, 1);
        ArgumentNullException.ThrowIfNull(changedHeads);
        ArgumentNullException.ThrowIfNull(key);
        var heads = changedHeads.OrderBy(h => h.StreamId, StreamIdComparer).ToImmutableArray();
        var unsigned = new LedgerCheckpoint(
            checkpointId ?? NewId(at), tenantId, seq, at, heads, streamCount, merkleRoot, prevHash, key.Id, "", "");
        var bytes = CanonicalBytes(unsigned);
        return unsigned with
        {
            Hash = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            Signature = key.Sign(bytes),
        };
    }

    /// <summary>True when the checkpoint's signature is <paramref name="key"/>'s over its canonical bytes, by that key's algorithm.</summary>
    public static bool HasValidSignature(LedgerCheckpoint checkpoint, LedgerCheckpointKey key)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(key);
        return key.Verify(CanonicalBytes(checkpoint), checkpoint.Signature);
    }

    /// <summary>The leaf hash of one stream head in the Merkle tree.</summary>
    public static byte[] LeafHash(string streamId, long seq, string hash)
    {
        var leaf = new byte[SHA256.HashSizeInBytes];
        LeafHash(streamId, seq, hash, leaf);
        return leaf;
    }

    /// <summary>
    /// The leaf hash of one stream head, written to <paramref name="destination"/> (32 bytes), encoded on the stack for
    /// the usual sizes; <paramref name="sha256"/>, when given, is a SHA-256 <see cref="IncrementalHash"/> reused across
    /// calls (cheaper than a one-shot hash per leaf in a long walk).
    /// </summary>
    public static void LeafHash(string streamId, long seq, string hash, Span<byte> destination, IncrementalHash? sha256 = null)
    {
        ArgumentNullException.ThrowIfNull(streamId);
        ArgumentNullException.ThrowIfNull(hash);
        Span<char> seqText = stackalloc char[20];
        seq.TryFormat(seqText, out var seqLength, default, CultureInfo.InvariantCulture);
        seqText = seqText[..seqLength];
        var size = 1 + (3 * sizeof(int)) + StrictUtf8.GetByteCount(streamId) + seqLength + StrictUtf8.GetByteCount(hash);
        byte[]? rented = null;
        var buffer = size <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            buffer[0] = 0x00;
            var written = 1;
            Write(buffer, ref written, streamId);
            Write(buffer, ref written, seqText);
            Write(buffer, ref written, hash);
            Sha256(buffer[..written], destination, sha256);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The Merkle root (hex) over leaf hashes already in canonical stream order.</summary>
    public static string MerkleRoot(IReadOnlyList<byte[]> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        return leafHashes.Count == 0 ? EmptyRoot : Convert.ToHexStringLower(Node(leafHashes, 0, leafHashes.Count));
    }

    /// <summary>The Merkle root (hex) over every head of a tenant, in any order.</summary>
    public static string MerkleRoot(IEnumerable<LedgerCheckpointHead> allHeads)
    {
        ArgumentNullException.ThrowIfNull(allHeads);
        return MerkleRoot(allHeads.OrderBy(h => h.StreamId, StreamIdComparer).Select(h => LeafHash(h.StreamId, h.Seq, h.Hash)).ToList());
    }

    private static byte[] Node(IReadOnlyList<byte[]> leaves, int start, int count)
    {
        if (count == 1)
        {
            return leaves[start];
        }

        var split = 1;
        while (split * 2 < count)
        {
            split *= 2;
        }

        Span<byte> buffer = stackalloc byte[1 + 2 * SHA256.HashSizeInBytes];
        buffer[0] = 0x01;
        Node(leaves, start, split).CopyTo(buffer[1..]);
        Node(leaves, start + split, count - split).CopyTo(buffer[(1 + SHA256.HashSizeInBytes)..]);
        return SHA256.HashData(buffer);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>SHA-256 of <paramref name="data"/> into <paramref name="destination"/>, on <paramref name="sha256"/> when given.</summary>
    internal static void Sha256(ReadOnlySpan<byte> data, Span<byte> destination, IncrementalHash? sha256)
    {
        if (sha256 is null)
        {
            SHA256.HashData(data, destination);
            return;
        }

        sha256.AppendData(data);
        sha256.GetHashAndReset(destination);
    }

    private static void Write(Span<byte> buffer, ref int written, ReadOnlySpan<char> value)
    {
        var length = StrictUtf8.GetBytes(value, buffer[(written + sizeof(int))..]);
        BinaryPrimitives.WriteInt32BigEndian(buffer[written..], length);
        written += sizeof(int) + length;
    }

    private static void Write(ArrayBufferWriter<byte> writer, string value)
    {
        var length = StrictUtf8.GetByteCount(value);
        var span = writer.GetSpan(sizeof(int) + length);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        StrictUtf8.GetBytes(value, span[sizeof(int)..]);
        writer.Advance(sizeof(int) + length);
    }
}

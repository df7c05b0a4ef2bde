using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Autonomy.Ledger;

/// <summary>
/// The hash of a ledger entry: SHA-256, lower-case hex, over a canonical encoding of the entry and its
/// <c>prevHash</c>. Each field is written as a 4-byte big-endian length followed by its UTF-8 bytes (a null
/// run id as length -1 and no bytes), behind a version tag, so no two different entries encode alike and
/// another store or language can recompute the hash without this code. Text that is not valid Unicode
/// (a lone surrogate) is refused rather than hashed.
/// </summary>
public static class LedgerHash
{
    /// <summary>The prevHash of the first entry (seq 1) of every stream.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The form of <c>at</c> inside the hash and in the stores: UTC, 7 fractional digits.</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    // Changing the encoding means a new tag, so old chains stay verifiable under the old one.
    private const string VersionTag = "autonomy.ledger.v1";

    private const int NullLength = -1;

    // "yyyy-MM-ddTHH:mm:ss.fffffffZ"; years beyond 9999 do not occur in a DateTime.
    private const int TimeFormatLength = 28;

    // Lenient UTF-8 maps every lone surrogate to U+FFFD, so two different strings could hash alike; refuse them.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Computes the hash of an entry from its fields.</summary>
    public static string Compute(
        string entryId,
        string tenantId,
        string streamId,
        long seq,
        string? runId,
        string type,
        DateTimeOffset at,
        string actor,
        string payload,
        string prevHash)
    {
        // The same text as FormatTime, formatted on the stack: the append path hashes without allocating it.
        Span<char> atText = stackalloc char[TimeFormatLength];
        at.UtcDateTime.TryFormat(atText, out var length, TimeFormat, CultureInfo.InvariantCulture);
        return Compute(entryId, tenantId, streamId, seq, runId, type, atText[..length], actor, payload, prevHash);
    }

    /// <summary>True when the entry's stored hash equals the hash recomputed from its fields.</summary>
    public static bool IsValid(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return string.Equals(entry.Hash, Compute(
            entry.EntryId, entry.TenantId, entry.StreamId, entry.Seq, entry.RunId, entry.Type,
            entry.At, entry.Actor, entry.Payload, entry.PrevHash), StringComparison.Ordinal);
    }

    /// <summary>Formats <paramref name="at"/> the way it is hashed and stored.</summary>
    public static string FormatTime(DateTimeOffset at) =>
        at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses a stored <c>at</c>; only the exact form of <see cref="FormatTime"/> is accepted.</summary>
    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>
    /// The hash over the stored text of <c>at</c>: verification hashes what is on disk, so a rewritten
    /// timestamp that parses to the same instant still fails.
    /// </summary>
    public static string Compute(
        string entryId,
        string tenantId,
        string streamId,
        long seq,
        string? runId,
        string type,
        string atText,
        string actor,
        string payload,
        string prevHash) =>
        Compute(entryId, tenantId, streamId, seq, runId, type, atText.AsSpan(), actor, payload, prevHash);

    private static string Compute(
        string entryId,
        string tenantId,
        string streamId,
        long seq,
        string? runId,
        string type,
        ReadOnlySpan<char> atText,
        string actor,
        string payload,
        string prevHash)
    {
        Span<char> seqText = stackalloc char[20];
        seq.TryFormat(seqText, out var seqLength, default, CultureInfo.InvariantCulture);
        seqText = seqText[..seqLength];

        var size = Measure(VersionTag) + Measure(entryId) + Measure(tenantId) + Measure(streamId) + Measure(seqText)
            + Measure(runId) + Measure(type) + Measure(atText) + Measure(actor) + Measure(payload) + Measure(prevHash);

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var written = 0;
            Write(buffer, ref written, VersionTag);
            Write(buffer, ref written, entryId);
            Write(buffer, ref written, tenantId);
            Write(buffer, ref written, streamId);
            Write(buffer, ref written, seqText);
            Write(buffer, ref written, runId);
            Write(buffer, ref written, type);
            Write(buffer, ref written, atText);
            Write(buffer, ref written, actor);
            Write(buffer, ref written, payload);
            Write(buffer, ref written, prevHash);

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.AsSpan(0, written), hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int Measure(ReadOnlySpan<char> value) => sizeof(int) + StrictUtf8.GetByteCount(value);

    private static int Measure(string? value) => value is null ? sizeof(int) : Measure(value.AsSpan());

    private static void Write(byte[] buffer, ref int written, string? value)
    {
        if (value is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(written), NullLength);
            written += sizeof(int);
            return;
        }

        Write(buffer, ref written, value.AsSpan());
    }

    private static void Write(byte[] buffer, ref int written, ReadOnlySpan<char> value)
    {
        var length = StrictUtf8.GetBytes(value, buffer.AsSpan(written + sizeof(int)));
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(written), length);
        written += sizeof(int) + length;
    }
}

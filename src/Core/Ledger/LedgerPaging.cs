using System.Buffers.Binary;
using System.Buffers.Text;

namespace Autonomy.Ledger;

/// <summary>
/// Where a page (or a read of changed heads) starts: after the entry at <see cref="Position"/> of transaction
/// <see cref="Tx"/>. In SQLite (one writer) positions are taken in commit order and <see cref="Tx"/> is 0; in
/// PostgreSQL the order is (transaction id, position), served only below the oldest transaction still open.
/// </summary>
public readonly record struct LedgerCursor(ulong Tx, long Position)
{
    public static LedgerCursor Start => default;
}

/// <summary>
/// How every store pages the ledger store's <c>QueryAsync</c>: a page holds 1 to <see cref="MaxPageSize"/>
/// entries, and the cursor is the commit-order key of the last entry returned, opaque to callers (base64url of
/// 8 big-endian bytes, the position, in SQLite; of 16, the transaction id and the position, in PostgreSQL), so
/// the next page starts strictly after it. An 8-byte cursor is read as transaction 0 (the entries written before
/// the transaction column existed). A page also stops before <see cref="MaxPageBytes"/>, whatever the payloads: its
/// entries, as the API writes them, add up to at most that (<see cref="WireBytes"/>), and the cursor continues.
/// </summary>
public static class LedgerPaging
{
    public const int MaxPageSize = 1000;

    /// <summary>The most a page's entries may take as JSON: 4 MiB. An entry larger than that alone is a page of its own.</summary>
    public const int MaxPageBytes = 4 * 1024 * 1024;

    /// <summary>An entry's field names, punctuation, seq and time as JSON, beyond its string values.</summary>
    private const int EntryOverheadBytes = 256;

    /// <summary>
    /// An upper bound of the bytes <paramref name="entry"/> takes as a ledger entry of the API: its string fields and
    /// payload as UTF-8 JSON written with the strictest escaping (every character outside printable ASCII, and each
    /// of <c>&lt; &gt; &amp; ' + `</c>, as a six-byte <c>\uXXXX</c>), plus a fixed overhead. Never less than what is
    /// written, so a page bounded by it is bounded on the wire.
    /// </summary>
    public static long WireBytes(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return EntryOverheadBytes
            + StringBytes(entry.EntryId) + StringBytes(entry.TenantId) + StringBytes(entry.StreamId) + StringBytes(entry.RunId)
            + StringBytes(entry.Type) + StringBytes(entry.Actor) + StringBytes(entry.PrevHash) + StringBytes(entry.Hash)
            + JsonTextBytes(entry.Payload);
    }

    /// <summary>A string value written as a JSON string: each character 1 byte, or 6 escaped.</summary>
    private static long StringBytes(string? value)
    {
        long bytes = 2;
        foreach (var c in value ?? "")
        {
            bytes += IsPlain(c) && c != '"' ? 1 : 6;
        }

        return bytes;
    }

    /// <summary>
    /// Stored JSON text written again as JSON: structural quotes stay one byte; a quote inside a string is stored
    /// escaped, so its backslash (counted 6) pays for the six bytes it becomes. Payloads are JSON: typed records
    /// the grains serialize.
    /// </summary>
    private static long JsonTextBytes(string? text)
    {
        long bytes = 2;
        foreach (var c in text ?? "")
        {
            bytes += IsPlain(c) ? 1 : 6;
        }

        return bytes;
    }

    private static bool IsPlain(char c) => c is >= ' ' and <= '~' and not ('\\' or '<' or '>' or '&' or '\'' or '+' or '`');

    /// <summary>The requested limit clamped to 1..<see cref="MaxPageSize"/>.</summary>
    public static int PageSize(int limit) => Math.Clamp(limit, 1, MaxPageSize);

    public static string EncodeCursor(long position) => EncodeCursor(new LedgerCursor(0, position), commitOrdered: false);

    public static string EncodeCursor(LedgerCursor cursor, bool commitOrdered)
    {
        if (!commitOrdered)
        {
            Span<byte> bytes = stackalloc byte[sizeof(long)];
            BinaryPrimitives.WriteInt64BigEndian(bytes, cursor.Position);
            return Base64Url.EncodeToString(bytes);
        }

        Span<byte> pair = stackalloc byte[2 * sizeof(long)];
        BinaryPrimitives.WriteUInt64BigEndian(pair, cursor.Tx);
        BinaryPrimitives.WriteInt64BigEndian(pair[sizeof(long)..], cursor.Position);
        return Base64Url.EncodeToString(pair);
    }

    /// <summary>The position after which a page starts: 0 without a cursor.</summary>
    /// <exception cref="ArgumentException">The cursor was not issued by <see cref="EncodeCursor(long)"/>.</exception>
    public static long DecodeCursor(string? cursor) => Decode(cursor).Position;

    /// <summary>Where a page starts: <see cref="LedgerCursor.Start"/> without a cursor.</summary>
    /// <exception cref="ArgumentException">The cursor was not issued by this ledger.</exception>
    public static LedgerCursor Decode(string? cursor) =>
        TryDecode(cursor, out var decoded)
            ? decoded
            : throw new ArgumentException("The cursor is not one this ledger issued.", nameof(cursor));

    /// <summary>Whether <paramref name="cursor"/> is null or has the shape of one this ledger issues; never throws.</summary>
    public static bool TryDecode(string? cursor, out LedgerCursor decoded)
    {
        decoded = LedgerCursor.Start;
        if (cursor is null)
        {
            return true;
        }

        Span<byte> bytes = stackalloc byte[2 * sizeof(long)];
        // TryDecode throws on characters outside the alphabet; IsValid answers without throwing.
        if (!Base64Url.IsValid(cursor, out var length) || (length != sizeof(long) && length != 2 * sizeof(long))
            || !Base64Url.TryDecodeFromChars(cursor, bytes, out _))
        {
            return false;
        }

        var tx = length == sizeof(long) ? 0UL : BinaryPrimitives.ReadUInt64BigEndian(bytes);
        var position = BinaryPrimitives.ReadInt64BigEndian(bytes[(length - sizeof(long))..]);
        if (position < 0 || tx > long.MaxValue)
        {
            return false;
        }

        decoded = new LedgerCursor(tx, position);
        return true;
    }
}

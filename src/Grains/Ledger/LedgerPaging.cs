using System.Buffers.Binary;
using System.Buffers.Text;

namespace Autonomy.Ledger;

/// <summary>
/// How every store pages <see cref="ILedger.QueryAsync"/>: a page holds 1 to <see cref="MaxPageSize"/>
/// entries, and the cursor is the ledger position of the last entry returned, opaque to callers (base64url
/// of 8 big-endian bytes), so the next page starts strictly after it.
/// </summary>
internal static class LedgerPaging
{
    public const int MaxPageSize = 1000;

    /// <summary>The requested limit clamped to 1..<see cref="MaxPageSize"/>.</summary>
    public static int PageSize(int limit) => Math.Clamp(limit, 1, MaxPageSize);

    public static string EncodeCursor(long position)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(bytes, position);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The position after which a page starts: 0 without a cursor.</summary>
    /// <exception cref="ArgumentException">The cursor was not issued by <see cref="EncodeCursor"/>.</exception>
    public static long DecodeCursor(string? cursor)
    {
        if (cursor is null)
        {
            return 0;
        }

        Span<byte> bytes = stackalloc byte[sizeof(long)];
        // TryDecode throws on characters outside the alphabet; IsValid answers without throwing.
        if (!Base64Url.IsValid(cursor, out var length) || length != sizeof(long)
            || !Base64Url.TryDecodeFromChars(cursor, bytes, out _) || BinaryPrimitives.ReadInt64BigEndian(bytes) < 0)
        {
            throw new ArgumentException("The cursor is not one this ledger issued.", nameof(cursor));
        }

        return BinaryPrimitives.ReadInt64BigEndian(bytes);
    }
}

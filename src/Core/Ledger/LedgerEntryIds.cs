using System.Security.Cryptography;

namespace Autonomy.Ledger;

/// <summary>
/// Entry ids: "le_" and a ULID (48-bit Unix milliseconds, then 80 random bits, Crockford base32), so ids
/// sort by the time they were written and never collide without any coordination between silos.
/// </summary>
public static class LedgerEntryIds
{
    public const string Prefix = "le_";

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int TimeChars = 10;
    private const int RandomChars = 16;

    public static string New(DateTimeOffset now)
    {
        var millis = Math.Max(0L, now.ToUnixTimeMilliseconds());
        return string.Create(Prefix.Length + TimeChars + RandomChars, millis, static (chars, millis) =>
        {
            Prefix.AsSpan().CopyTo(chars);
            var time = chars.Slice(Prefix.Length, TimeChars);
            for (var i = TimeChars - 1; i >= 0; i--)
            {
                time[i] = Alphabet[(int)(millis & 31)];
                millis >>= 5;
            }

            Span<byte> random = stackalloc byte[10];
            RandomNumberGenerator.Fill(random);
            var tail = chars[(Prefix.Length + TimeChars)..];
            Encode40(random[..5], tail[..8]);
            Encode40(random[5..], tail[8..]);
        });
    }

    // Five bytes are exactly eight base32 characters.
    private static void Encode40(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        ulong bits = 0;
        foreach (var b in bytes)
        {
            bits = (bits << 8) | b;
        }

        for (var i = 7; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(bits & 31)];
            bits >>= 5;
        }
    }
}

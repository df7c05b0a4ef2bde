using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Autonomy.Ledger;

/// <summary>
/// An HMAC-SHA256 checkpoint key of earlier builds: its secret is the UTF-8 bytes of the configured text. Everyone who
/// verifies with it could also sign, so a keyring never makes it <see cref="LedgerCheckpointKeyring.Current"/>: it only
/// verifies the checkpoints it signed before P-256 keys came (see <see cref="LedgerVerifier.CheckpointSignatureDowngraded"/>).
/// </summary>
public sealed class LedgerCheckpointHmacKey : LedgerCheckpointKey
{
    /// <summary>The fewest UTF-8 bytes a secret may have (256 bits).</summary>
    public const int MinSecretBytes = 32;

    public LedgerCheckpointHmacKey(string id, string secret)
        : base(id)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var bytes = Encoding.UTF8.GetBytes(secret.Trim());
        if (bytes.Length < MinSecretBytes)
        {
            throw new ArgumentException($"The checkpoint key '{id}' holds fewer than {MinSecretBytes} bytes.", nameof(secret));
        }

        Secret = bytes;
    }

    public ReadOnlyMemory<byte> Secret { get; }

    public override string Algorithm => LedgerCheckpointAlgorithms.HmacSha256;

    public override bool CanSign => true;

    public override string Sign(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(HMACSHA256.HashData(Secret.Span, data));

    /// <summary>Compared in constant time; only the lower-case hex form is accepted.</summary>
    public override bool Verify(ReadOnlySpan<byte> data, string? signature)
    {
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Secret.Span, data, expected);
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        return signature is { Length: 2 * HMACSHA256.HashSizeInBytes }
            && signature.All(char.IsAsciiHexDigitLower)
            && Convert.FromHexString(signature, given, out _, out var written) == OperationStatus.Done
            && written == given.Length
            && CryptographicOperations.FixedTimeEquals(expected, given);
    }

    public override bool SameKeyAs(LedgerCheckpointKey other) =>
        other is LedgerCheckpointHmacKey hmac && CryptographicOperations.FixedTimeEquals(Secret.Span, hmac.Secret.Span);
}

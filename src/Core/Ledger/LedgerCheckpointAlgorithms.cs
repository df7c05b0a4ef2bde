using System.Security.Cryptography;

namespace Autonomy.Ledger;

/// <summary>The signature algorithms of checkpoints, as the <c>alg</c> of an export's checkpoint line names them.</summary>
public static class LedgerCheckpointAlgorithms
{
    /// <summary>ECDSA over P-256 with SHA-256, the signature IEEE P1363 (r || s, 64 bytes) in base64: new checkpoints.</summary>
    public const string EcdsaP256 = "ES256";

    /// <summary>HMAC-SHA256 with a shared secret, lower-case hex: checkpoints of earlier builds, verified, never written.</summary>
    public const string HmacSha256 = "HS256";

    /// <summary>The algorithm a signature's form shows (88 characters of base64: ES256; 64 of lower-case hex: HS256), or null.</summary>
    /// <remarks>Informative only: a verifier checks a signature by the algorithm of the key it holds, never by this.</remarks>
    public static string? Of(string? signature)
    {
        if (signature is { Length: 2 * HMACSHA256.HashSizeInBytes } && signature.All(char.IsAsciiHexDigitLower))
        {
            return HmacSha256;
        }

        Span<byte> bytes = stackalloc byte[LedgerCheckpointEcdsaKey.SignatureBytes];
        return signature is { Length: LedgerCheckpointEcdsaKey.SignatureBase64Length } && LedgerCheckpointEcdsaKey.TryDecodeSignature(signature, bytes)
            ? EcdsaP256
            : null;
    }
}

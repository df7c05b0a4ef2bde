using System.Security.Cryptography;

namespace Autonomy.Ledger;

/// <summary>
/// A P-256 (secp256r1) checkpoint key: with its private half it signs (silos), with the public half only it verifies
/// (gateways, auditors). Signatures are ECDSA with SHA-256 over the canonical bytes, in IEEE P1363 form (r || s),
/// base64. Its id is its fingerprint, <c>p256-</c> and the first 16 hex digits of the SHA-256 of its
/// SubjectPublicKeyInfo, so a bare public key file names the checkpoints it verifies.
/// </summary>
public sealed class LedgerCheckpointEcdsaKey : LedgerCheckpointKey
{
    /// <summary>The prefix of a P-256 key's id.</summary>
    public const string IdPrefix = "p256-";

    /// <summary>A P1363 signature of P-256: r and s, 32 bytes each.</summary>
    public const int SignatureBytes = 64;

    /// <summary>The base64 length of a signature (with its padding).</summary>
    public const int SignatureBase64Length = 88;

    private const string P256Oid = "1.2.840.10045.3.1.7";

    // ECDsa instances are not documented thread safe: one operation at a time, under this lock (the object itself).
    private readonly ECDsa _key;
    private readonly byte[] _publicKey;

    private LedgerCheckpointEcdsaKey(ECDsa key, byte[] publicKey, bool canSign)
        : base(IdOf(publicKey))
    {
        _key = key;
        _publicKey = publicKey;
        CanSign = canSign;
    }

    public override string Algorithm => LedgerCheckpointAlgorithms.EcdsaP256;

    public override bool CanSign { get; }

    /// <summary>The DER SubjectPublicKeyInfo of the public half (a copy).</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo => _publicKey.ToArray();

    /// <summary>A new random private key.</summary>
    public static LedgerCheckpointEcdsaKey Generate() => From(ECDsa.Create(ECCurve.NamedCurves.nistP256), canSign: true);

    /// <summary>The public key in a DER SubjectPublicKeyInfo.</summary>
    /// <exception cref="FormatException">Not a P-256 public key.</exception>
    public static LedgerCheckpointEcdsaKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> der) =>
        Import(der, canSign: false, (ecdsa, bytes) =>
        {
            ecdsa.ImportSubjectPublicKeyInfo(bytes, out var read);
            return read;
        });

    /// <summary>The private key in a DER PKCS#8 PrivateKeyInfo or a SEC1 ECPrivateKey.</summary>
    /// <exception cref="FormatException">Not a P-256 private key.</exception>
    public static LedgerCheckpointEcdsaKey FromPrivateKey(ReadOnlySpan<byte> der)
    {
        try
        {
            return Import(der, canSign: true, (ecdsa, bytes) =>
            {
                ecdsa.ImportPkcs8PrivateKey(bytes, out var read);
                return read;
            });
        }
        catch (FormatException)
        {
            return Import(der, canSign: true, (ecdsa, bytes) =>
            {
                ecdsa.ImportECPrivateKey(bytes, out var read);
                return read;
            });
        }
    }

    /// <summary>The id of a public key: <c>p256-</c> and the first 16 hex digits of the SHA-256 of its SubjectPublicKeyInfo.</summary>
    public static string IdOf(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        IdPrefix + Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo))[..16];

    /// <summary>This key without its private half.</summary>
    public LedgerCheckpointEcdsaKey PublicOnly() => CanSign ? FromSubjectPublicKeyInfo(_publicKey) : this;

    /// <summary>The public key as PEM (<c>-----BEGIN PUBLIC KEY-----</c>), what an auditor is given.</summary>
    public string PublicKeyPem() => PemEncoding.WriteString("PUBLIC KEY", _publicKey);

    /// <summary>The private key as PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>), for the key file that keeps it.</summary>
    /// <exception cref="InvalidOperationException">A public key.</exception>
    public string PrivateKeyPem()
    {
        if (!CanSign)
        {
            throw new InvalidOperationException($"The checkpoint key '{Id}' is a public key.");
        }

        lock (_key)
        {
            return PemEncoding.WriteString("PRIVATE KEY", _key.ExportPkcs8PrivateKey());
        }
    }

    public override string Sign(ReadOnlySpan<byte> data)
    {
        if (!CanSign)
        {
            throw new InvalidOperationException($"The checkpoint key '{Id}' is a public key: it verifies checkpoints, it cannot sign them.");
        }

        Span<byte> signature = stackalloc byte[SignatureBytes];
        lock (_key)
        {
            if (!_key.TrySignData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written) || written != SignatureBytes)
            {
                throw new CryptographicException("The P-256 signature did not fit in 64 bytes.");
            }
        }

        return Convert.ToBase64String(signature);
    }

    /// <summary>Only the canonical base64 of exactly 64 bytes is accepted.</summary>
    public override bool Verify(ReadOnlySpan<byte> data, string? signature)
    {
        Span<byte> bytes = stackalloc byte[SignatureBytes];
        if (signature is not { Length: SignatureBase64Length } || !TryDecodeSignature(signature, bytes))
        {
            return false;
        }

        lock (_key)
        {
            return _key.VerifyData(data, bytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }

    public override bool SameKeyAs(LedgerCheckpointKey other) =>
        other is LedgerCheckpointEcdsaKey ecdsa && _publicKey.AsSpan().SequenceEqual(ecdsa._publicKey);

    /// <summary>Decodes a signature's base64 into 64 bytes, refusing any other length and any non-canonical spelling.</summary>
    internal static bool TryDecodeSignature(string signature, Span<byte> into) =>
        Convert.TryFromBase64String(signature, into, out var written)
        && written == SignatureBytes
        && string.Equals(Convert.ToBase64String(into[..written]), signature, StringComparison.Ordinal);

    private static LedgerCheckpointEcdsaKey Import(ReadOnlySpan<byte> der, bool canSign, Func<ECDsa, byte[], int> import)
    {
        var ecdsa = ECDsa.Create();
        var bytes = der.ToArray();
        try
        {
            if (import(ecdsa, bytes) != bytes.Length)
            {
                throw new FormatException("The key has trailing bytes.");
            }

            return From(ecdsa, canSign);
        }
        catch (CryptographicException ex)
        {
            ecdsa.Dispose();
            throw new FormatException(canSign ? "Not a P-256 private key (PKCS#8 or SEC1 DER)." : "Not a P-256 public key (SubjectPublicKeyInfo DER).", ex);
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    private static LedgerCheckpointEcdsaKey From(ECDsa ecdsa, bool canSign)
    {
        var curve = ecdsa.ExportParameters(includePrivateParameters: false).Curve;
        if (!curve.IsNamed || !(curve.Oid.Value == P256Oid || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256" or "secp256r1" or "prime256v1"))
        {
            ecdsa.Dispose();
            throw new FormatException($"The checkpoint key is on curve '{curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "explicit"}', not P-256.");
        }

        return new LedgerCheckpointEcdsaKey(ecdsa, ecdsa.ExportSubjectPublicKeyInfo(), canSign);
    }
}

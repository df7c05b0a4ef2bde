using System.Buffers;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

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

/// <summary>
/// A key that verifies checkpoints and, holding the private half, signs them: a P-256 key
/// (<see cref="LedgerCheckpointEcdsaKey"/>, what new checkpoints are signed with) or a shared HMAC secret of earlier
/// builds (<see cref="LedgerCheckpointHmacKey"/>, kept to verify the checkpoints it signed). The verifier checks a
/// signature by the algorithm of the key it holds under the checkpoint's key id, so a checkpoint cannot choose it.
/// </summary>
public abstract class LedgerCheckpointKey
{
    private protected LedgerCheckpointKey(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!LedgerCheckpointKeyring.IsValidId(id))
        {
            throw new ArgumentException($"The checkpoint key id '{id}' is not 1 to 64 of A-Z a-z 0-9 . _ -.", nameof(id));
        }

        Id = id;
    }

    /// <summary>The id recorded in every checkpoint this key signs.</summary>
    public string Id { get; }

    /// <summary><see cref="LedgerCheckpointAlgorithms.EcdsaP256"/> or <see cref="LedgerCheckpointAlgorithms.HmacSha256"/>.</summary>
    public abstract string Algorithm { get; }

    /// <summary>Whether this key can sign (a private key, or an HMAC secret).</summary>
    public abstract bool CanSign { get; }

    /// <summary>The signature of <paramref name="data"/> in this key's text form.</summary>
    /// <exception cref="InvalidOperationException">A public key: it only verifies.</exception>
    public abstract string Sign(ReadOnlySpan<byte> data);

    /// <summary>True when <paramref name="signature"/> is this key's signature of <paramref name="data"/>, in its exact text form.</summary>
    public abstract bool Verify(ReadOnlySpan<byte> data, string? signature);

    /// <summary>True when <paramref name="other"/> is the same key (a private key and its public half are).</summary>
    public abstract bool SameKeyAs(LedgerCheckpointKey other);

    /// <summary>Never the key material.</summary>
    public override string ToString() => $"{GetType().Name} {{ Id = {Id}, Algorithm = {Algorithm}, CanSign = {CanSign} }}";
}

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

/// <summary>
/// The checkpoint keys a process knows. Every key verifies the checkpoints that name its id; the
/// <see cref="Current"/> one, a P-256 private key, signs new ones (null: this ring only verifies, as a gateway's or an
/// auditor's). Rotation adds a private key and makes it current (the last one given, unless named); the old keys stay,
/// public halves suffice, so the checkpoints they signed keep verifying. HMAC keys of earlier builds only verify.
/// <para>The text form (key files, configuration values, <c>verify-export --key</c>): PEM blocks
/// (<c>PUBLIC KEY</c>, <c>PRIVATE KEY</c>, <c>EC PRIVATE KEY</c>), base64 DER keys (SubjectPublicKeyInfo, PKCS#8 or
/// SEC1), and HMAC keys as <c>id=secret</c>, one per line or separated by commas; blank lines and lines starting with
/// <c>#</c> are skipped, anything else is refused. A P-256 key's id is its fingerprint; an HMAC key's is the one written.</para>
/// </summary>
public sealed partial class LedgerCheckpointKeyring
{
    private readonly ImmutableDictionary<string, LedgerCheckpointKey> _keys;

    public LedgerCheckpointKeyring(IEnumerable<LedgerCheckpointKey> keys, string? currentId = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var list = keys.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("A checkpoint keyring needs at least one key.", nameof(keys));
        }

        var builder = ImmutableDictionary.CreateBuilder<string, LedgerCheckpointKey>(StringComparer.Ordinal);
        foreach (var key in list)
        {
            if (builder.TryGetValue(key.Id, out var existing))
            {
                if (!existing.SameKeyAs(key))
                {
                    throw new ArgumentException($"The checkpoint key id '{key.Id}' is given twice with different keys.", nameof(keys));
                }

                if (existing.CanSign)
                {
                    continue;
                }
            }

            builder[key.Id] = key;
        }

        _keys = builder.ToImmutable();
        if (currentId is null)
        {
            var last = list.LastOrDefault(IsSigningKey);
            Current = last is null ? null : _keys[last.Id];
        }
        else if (!_keys.TryGetValue(currentId, out var current))
        {
            throw new ArgumentException($"The current checkpoint key '{currentId}' is not among the keys ({string.Join(", ", _keys.Keys)}).", nameof(currentId));
        }
        else
        {
            Current = IsSigningKey(current)
                ? current
                : throw new ArgumentException(
                    current is LedgerCheckpointHmacKey
                        ? $"The checkpoint key '{currentId}' is an HMAC key: HMAC keys only verify the checkpoints they signed; new checkpoints are signed with a P-256 private key."
                        : $"The checkpoint key '{currentId}' is a public key: signing needs its private key.",
                    nameof(currentId));
        }
    }

    /// <summary>The P-256 private key that signs new checkpoints, or null: this ring only verifies.</summary>
    public LedgerCheckpointKey? Current { get; }

    /// <summary>The <see cref="Current"/> key.</summary>
    /// <exception cref="InvalidOperationException">This ring holds no private key.</exception>
    public LedgerCheckpointKey SigningKey => Current
        ?? throw new InvalidOperationException("This process holds no checkpoint signing key (a P-256 private key): it can verify checkpoints, not write them.");

    /// <summary>Every key id, current and old.</summary>
    public IReadOnlyCollection<string> Ids => _keys.Keys.ToList();

    /// <summary>Every key.</summary>
    public IReadOnlyCollection<LedgerCheckpointKey> Keys => _keys.Values.ToList();

    /// <summary>The key of an id, or null when this ring does not hold it.</summary>
    public LedgerCheckpointKey? Find(string keyId) => _keys.GetValueOrDefault(keyId);

    /// <summary>Key ids: 1 to 64 of A-Z a-z 0-9 . _ -.</summary>
    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    /// <summary>Parses the text form (see the type); the last private key is current unless <paramref name="currentId"/> says otherwise.</summary>
    /// <exception cref="FormatException">Something that is not a key.</exception>
    /// <exception cref="ArgumentException">A key that is not usable (a short secret, a bad id, a missing current key).</exception>
    public static LedgerCheckpointKeyring Parse(string text, string? currentId = null) => new(ParseKeys(text), currentId);

    /// <summary>The keys of the text form, in the order written.</summary>
    /// <exception cref="FormatException">Something that is not a key.</exception>
    /// <exception cref="ArgumentException">A key that is not usable (a short secret, a bad id).</exception>
    public static IReadOnlyList<LedgerCheckpointKey> ParseKeys(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var keys = new List<LedgerCheckpointKey>();
        var offset = 0;
        while (PemEncoding.TryFind(text.AsSpan(offset), out var pem))
        {
            var block = text.AsSpan(offset);
            ParseLines(block[..pem.Location.Start].ToString(), keys);
            var der = Convert.FromBase64String(block[pem.Base64Data].ToString());
            var label = block[pem.Label].ToString();
            keys.Add(label switch
            {
                "PUBLIC KEY" => LedgerCheckpointEcdsaKey.FromSubjectPublicKeyInfo(der),
                "PRIVATE KEY" or "EC PRIVATE KEY" => LedgerCheckpointEcdsaKey.FromPrivateKey(der),
                _ => throw new FormatException($"A PEM block '{label}' is not a checkpoint key: PUBLIC KEY, PRIVATE KEY or EC PRIVATE KEY of P-256."),
            });
            offset += pem.Location.End.Value;
        }

        ParseLines(text[offset..], keys);
        return keys;
    }

    private static void ParseLines(string text, List<LedgerCheckpointKey> keys)
    {
        var tokens = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .SelectMany(line => line.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        foreach (var token in tokens)
        {
            if (Base64Key().IsMatch(token))
            {
                keys.Add(FromBase64Der(token));
                continue;
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException("A checkpoint key is a PEM block, a base64 P-256 key, or id=secret (an HMAC key of earlier builds).");
            }

            var id = token[..equals].Trim();
            var secret = token[(equals + 1)..].Trim();
            if (Base64Key().IsMatch(secret) && IsEcdsaKey(secret))
            {
                // Taken as an HMAC secret, a public key would let anyone sign under that id.
                throw new FormatException($"The checkpoint key '{id}' is a P-256 key written as id=...: write it alone (its id is its fingerprint).");
            }

            keys.Add(new LedgerCheckpointHmacKey(id, secret));
        }
    }

    private static LedgerCheckpointEcdsaKey FromBase64Der(string base64)
    {
        var der = Convert.FromBase64String(base64);
        try
        {
            return LedgerCheckpointEcdsaKey.FromSubjectPublicKeyInfo(der);
        }
        catch (FormatException)
        {
            try
            {
                return LedgerCheckpointEcdsaKey.FromPrivateKey(der);
            }
            catch (FormatException ex)
            {
                throw new FormatException("A base64 checkpoint key is neither a P-256 SubjectPublicKeyInfo nor a P-256 private key (PKCS#8 or SEC1).", ex);
            }
        }
    }

    private static bool IsEcdsaKey(string base64)
    {
        try
        {
            FromBase64Der(base64);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool IsSigningKey(LedgerCheckpointKey key) => key is LedgerCheckpointEcdsaKey { CanSign: true };

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex IdPattern();

    /// <summary>A bare base64 DER key (a P-256 public key is 124 characters; an HMAC line has an id and '=' inside).</summary>
    [GeneratedRegex("^[A-Za-z0-9+/]{40,}={0,2}$")]
    private static partial Regex Base64Key();
}

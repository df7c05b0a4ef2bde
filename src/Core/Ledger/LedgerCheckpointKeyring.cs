using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Autonomy.Ledger;

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

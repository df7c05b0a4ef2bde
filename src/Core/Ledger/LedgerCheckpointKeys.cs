using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;

namespace Autonomy.Ledger;

/// <summary>A checkpoint key: its id (recorded in every checkpoint it signs) and its secret (the UTF-8 bytes of the configured text).</summary>
public sealed record LedgerCheckpointKey
{
    /// <summary>The fewest UTF-8 bytes a secret may have (256 bits).</summary>
    public const int MinSecretBytes = 32;

    public LedgerCheckpointKey(string id, string secret)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(secret);
        if (!LedgerCheckpointKeyring.IsValidId(id))
        {
            throw new ArgumentException($"The checkpoint key id '{id}' is not 1 to 64 of A-Z a-z 0-9 . _ -.", nameof(id));
        }

        var bytes = Encoding.UTF8.GetBytes(secret.Trim());
        if (bytes.Length < MinSecretBytes)
        {
            throw new ArgumentException($"The checkpoint key '{id}' holds fewer than {MinSecretBytes} bytes.", nameof(secret));
        }

        Id = id;
        Secret = bytes;
    }

    public string Id { get; }

    public ReadOnlyMemory<byte> Secret { get; }

    public override string ToString() => $"LedgerCheckpointKey {{ Id = {Id} }}";
}

/// <summary>
/// The checkpoint keys a ledger knows: the <see cref="Current"/> one signs new checkpoints, every one (old ones
/// included) verifies the checkpoints that name it. Rotation adds a key and makes it current; the old key stays
/// in the ring so the checkpoints it signed keep verifying. The text form, used by the key file and by
/// <c>verify-export --key</c>, is one <c>id=secret</c> per line (or separated by commas); the last one is current.
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
            if (builder.TryGetValue(key.Id, out var existing) && !existing.Secret.Span.SequenceEqual(key.Secret.Span))
            {
                throw new ArgumentException($"The checkpoint key id '{key.Id}' is given twice with different secrets.", nameof(keys));
            }

            builder[key.Id] = key;
        }

        _keys = builder.ToImmutable();
        currentId ??= list[^1].Id;
        Current = _keys.TryGetValue(currentId, out var current)
            ? current
            : throw new ArgumentException($"The current checkpoint key '{currentId}' is not among the keys ({string.Join(", ", _keys.Keys)}).", nameof(currentId));
    }

    /// <summary>The key that signs new checkpoints.</summary>
    public LedgerCheckpointKey Current { get; }

    /// <summary>Every key id, current and old.</summary>
    public IReadOnlyCollection<string> Ids => _keys.Keys.ToList();

    /// <summary>The key of an id, or null when this ring does not hold it.</summary>
    public LedgerCheckpointKey? Find(string keyId) => _keys.GetValueOrDefault(keyId);

    /// <summary>Key ids: 1 to 64 of A-Z a-z 0-9 . _ -.</summary>
    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    /// <summary>
    /// Parses <c>id=secret</c> pairs, one per line or separated by commas; blank lines and lines starting with
    /// <c>#</c> are skipped. The last pair is current unless <paramref name="currentId"/> says otherwise.
    /// </summary>
    public static LedgerCheckpointKeyring Parse(string text, string? currentId = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var keys = new List<LedgerCheckpointKey>();
        var pairs = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .SelectMany(line => line.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        foreach (var raw in pairs)
        {

            var equals = raw.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException("A checkpoint key is written id=secret.");
            }

            keys.Add(new LedgerCheckpointKey(raw[..equals].Trim(), raw[(equals + 1)..]));
        }

        return new LedgerCheckpointKeyring(keys, currentId);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex IdPattern();
}

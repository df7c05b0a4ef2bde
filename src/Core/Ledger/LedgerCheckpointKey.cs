using System.Security.Cryptography;

namespace Autonomy.Ledger;

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

namespace Autonomy.Ledger;

/// <summary>
/// An entry exactly as a store holds it, every field as its stored text (<see cref="At"/> included), so
/// verification hashes what is on disk and not a parsed copy: a rewrite that parses alike still shows.
/// </summary>
internal sealed record StoredLedgerEntry(
    string EntryId,
    string TenantId,
    string StreamId,
    long Seq,
    string? RunId,
    string Type,
    string At,
    string Actor,
    string Payload,
    string PrevHash,
    string Hash);

/// <summary>
/// The verification walk of every store. Given a tenant's entries grouped by stream and ordered by seq, each
/// stream must start at seq 1 and go up by one, chain each prevHash to the previous entry's hash (the first to
/// <see cref="LedgerHash.Genesis"/>), and carry the hash recomputed from its stored fields. The first entry
/// that breaks a rule is named with the rule it broke; <see cref="LedgerVerification.Entries"/> counts the
/// entries found intact before it.
/// </summary>
internal static class LedgerVerifier
{
    public const string SequenceGap = "sequence gap";
    public const string ChainBroken = "chain broken";
    public const string HashMismatch = "hash mismatch";

    public static async Task<LedgerVerification> VerifyAsync(IAsyncEnumerable<StoredLedgerEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        long count = 0;
        string? stream = null;
        long expectedSeq = 1;
        var expectedPrev = LedgerHash.Genesis;
        await foreach (var entry in entries.WithCancellation(cancellationToken))
        {
            if (!string.Equals(stream, entry.StreamId, StringComparison.Ordinal))
            {
                stream = entry.StreamId;
                expectedSeq = 1;
                expectedPrev = LedgerHash.Genesis;
            }

            if (entry.Seq != expectedSeq)
            {
                return new LedgerVerification(false, count, entry.EntryId, SequenceGap);
            }

            if (!string.Equals(entry.PrevHash, expectedPrev, StringComparison.Ordinal))
            {
                return new LedgerVerification(false, count, entry.EntryId, ChainBroken);
            }

            var recomputed = LedgerHash.Compute(
                entry.EntryId, entry.TenantId, entry.StreamId, entry.Seq, entry.RunId,
                entry.Type, entry.At, entry.Actor, entry.Payload, entry.PrevHash);
            if (!string.Equals(entry.Hash, recomputed, StringComparison.Ordinal))
            {
                return new LedgerVerification(false, count, entry.EntryId, HashMismatch);
            }

            count++;
            expectedSeq = entry.Seq + 1;
            expectedPrev = entry.Hash;
        }

        return new LedgerVerification(true, count, null, null);
    }
}

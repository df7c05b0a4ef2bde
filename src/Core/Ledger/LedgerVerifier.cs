namespace Autonomy.Ledger;

/// <summary>
/// An entry exactly as a store holds it, every field as its stored text (<see cref="At"/> included), so
/// verification hashes what is on disk and not a parsed copy: a rewrite that parses alike still shows.
/// </summary>
public sealed record StoredLedgerEntry(
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
/// The last checkpoint a writer wrote, kept outside the ledger store (the checkpoint grain's own state): a
/// checkpoint chain whose newest checkpoints were cut is shorter than this.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.ledger.CheckpointWitness")]
public sealed record LedgerCheckpointWitness([property: Id(0)] long Seq, [property: Id(1)] string Hash);

/// <summary>
/// How old an entry may be with no checkpoint covering it: older than <see cref="MaxAge"/> at <see cref="Now"/>, it
/// fails verification as <see cref="LedgerVerifier.CheckpointOverdue"/> (younger ones are "not yet checkpointed").
/// The server judges at its clock's now; an export offline at the newest time it shows.
/// </summary>
public sealed record LedgerCoverageRule(DateTimeOffset Now, TimeSpan MaxAge)
{
    /// <summary>How many checkpoint intervals an entry may wait for its checkpoint by default.</summary>
    public const int DefaultIntervals = 3;

    /// <summary>Entries written before this must be covered by a checkpoint.</summary>
    public DateTimeOffset Cutoff => Now - MaxAge;
}

/// <summary>
/// The verification walk of every store, and of an export offline. First the checkpoint chain, in seq order:
/// each checkpoint must have the next seq, link to the previous one's hash, carry the hash of its canonical bytes
/// and a valid signature by the key it names, checked by that key's algorithm (when keys are given; after the first
/// P-256 signature of the chain an HMAC one is refused as a downgrade), list its heads in canonical order, never record
/// a head lower than an earlier checkpoint did (nor the same seq with another hash), and carry the Merkle root of
/// every head recorded so far. Then the entries, grouped by stream and ordered by seq: each stream must start at
/// seq 1 and go up by one, chain each prevHash to the previous entry's hash (the first to
/// <see cref="LedgerHash.Genesis"/>), carry the hash recomputed from its stored fields, hold at the seq its last
/// checkpoint recorded the hash recorded there, and reach that seq (else its tail was cut). Entries above their
/// stream's last recorded head are "not yet checkpointed"; given a <see cref="LedgerCoverageRule"/>, one older than
/// it allows is <see cref="CheckpointOverdue"/>. The first problem is reported, entry problems before checkpoint
/// problems before truncations before an overdue checkpoint; <see cref="LedgerVerification.Entries"/> counts the
/// entries found intact before it.
/// </summary>
public static class LedgerVerifier
{
    public const string SequenceGap = "sequence gap";
    public const string ChainBroken = "chain broken";
    public const string HashMismatch = "hash mismatch";

    /// <summary>A stream ends below the head a checkpoint recorded: its tail was cut.</summary>
    public const string StreamTruncated = "stream truncated";

    /// <summary>The entry at a checkpointed seq is not the one the checkpoint recorded: the stream was rewritten.</summary>
    public const string CheckpointMismatch = "checkpoint mismatch";

    /// <summary>A checkpoint records a head lower than an earlier checkpoint did.</summary>
    public const string CheckpointHeadBackwards = "checkpoint head backwards";

    /// <summary>A checkpoint's signature does not verify under its key.</summary>
    public const string CheckpointSignatureInvalid = "checkpoint signature invalid";

    /// <summary>
    /// An HMAC-signed checkpoint after a P-256-signed one: whoever verifies with the old shared secret could have
    /// written it, so once a chain is signed with a private key it never goes back.
    /// </summary>
    public const string CheckpointSignatureDowngraded = "checkpoint signature downgraded";

    /// <summary>An entry older than the <see cref="LedgerCoverageRule"/> allows is covered by no checkpoint.</summary>
    public const string CheckpointOverdue = "checkpoint overdue";

    /// <summary>A checkpoint names a key the verifier was not given.</summary>
    public const string CheckpointKeyUnknown = "checkpoint key unknown";

    /// <summary>A checkpoint's seq is not the next one.</summary>
    public const string CheckpointSequenceGap = "checkpoint sequence gap";

    /// <summary>A checkpoint does not link to the previous checkpoint's hash.</summary>
    public const string CheckpointChainBroken = "checkpoint chain broken";

    /// <summary>A checkpoint's hash is not the hash of its fields.</summary>
    public const string CheckpointHashMismatch = "checkpoint hash mismatch";

    /// <summary>A checkpoint's Merkle root (or stream count) is not the one of the heads recorded so far.</summary>
    public const string CheckpointMerkleMismatch = "checkpoint merkle root mismatch";

    /// <summary>A checkpoint is malformed: another tenant, heads out of order or repeated, a head below seq 1.</summary>
    public const string CheckpointMalformed = "checkpoint malformed";

    /// <summary>The checkpoint chain is shorter than (or differs from) the last checkpoint its writer wrote.</summary>
    public const string CheckpointChainTruncated = "checkpoint chain truncated";

    /// <summary>Walks entries only (no checkpoint, nothing checkpointed).</summary>
    public static Task<LedgerVerification> VerifyAsync(IAsyncEnumerable<StoredLedgerEntry> entries, CancellationToken cancellationToken) =>
        VerifyAsync(entries, EmptyCheckpoints(), null, null, cancellationToken);

    /// <summary>Walks the checkpoint chain, then the entries against it, with no age limit for uncovered entries.</summary>
    public static Task<LedgerVerification> VerifyAsync(
        IAsyncEnumerable<StoredLedgerEntry> entries,
        IAsyncEnumerable<LedgerCheckpoint> checkpoints,
        LedgerCheckpointKeyring? keys,
        LedgerCheckpointWitness? witness,
        CancellationToken cancellationToken) =>
        VerifyAsync(entries, checkpoints, keys, witness, null, cancellationToken);

    /// <summary>Walks the checkpoint chain, then the entries against it.</summary>
    /// <param name="keys">The keys to check signatures with; null checks everything but signatures.</param>
    /// <param name="witness">The last checkpoint its writer wrote, when known.</param>
    /// <param name="coverage">How old an entry may be without a checkpoint covering it; null: any age.</param>
    public static async Task<LedgerVerification> VerifyAsync(
        IAsyncEnumerable<StoredLedgerEntry> entries,
        IAsyncEnumerable<LedgerCheckpoint> checkpoints,
        LedgerCheckpointKeyring? keys,
        LedgerCheckpointWitness? witness,
        LedgerCoverageRule? coverage,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(checkpoints);
        var state = new LedgerCheckpointState();
        (string Id, string Problem, string? Stream)? checkpointProblem = null;
        long intactCheckpoints = 0;
        string? tenant = null;
        var privateKeySigned = false;
        await foreach (var checkpoint in checkpoints.WithCancellation(cancellationToken))
        {
            if (checkpointProblem is not null)
            {
                continue;
            }

            tenant ??= checkpoint.TenantId;
            checkpointProblem = CheckCheckpoint(checkpoint, state, keys, tenant, privateKeySigned, out var algorithm);
            if (checkpointProblem is null)
            {
                state.Apply(checkpoint);
                intactCheckpoints++;
                privateKeySigned |= algorithm == LedgerCheckpointAlgorithms.EcdsaP256;
            }
        }

        if (checkpointProblem is null && witness is not null
            && (state.Seq < witness.Seq || (state.Seq == witness.Seq && !string.Equals(state.Hash, witness.Hash, StringComparison.Ordinal))))
        {
            checkpointProblem = (state.Last?.CheckpointId ?? "", CheckpointChainTruncated, null);
        }

        long count = 0;
        long checkpointed = 0;
        long pending = 0;
        string? pendingFrom = null;
        string? pendingTo = null;
        string? stream = null;
        long expectedSeq = 1;
        var expectedPrev = LedgerHash.Genesis;
        (long Seq, string Hash, string CheckpointId)? recorded = null;
        (string Id, string Stream, string CheckpointId)? truncation = null;
        (string Id, string Stream, string At)? overdue = null;
        var streamsSeen = new HashSet<string>(StringComparer.Ordinal);

        LedgerVerification Result(bool ok, string? brokenId, string? problem, string? problemStream) => new(ok, count, brokenId, problem)
        {
            StreamId = problemStream,
            Checkpoints = intactCheckpoints,
            LastCheckpointAt = state.Last?.At,
            CheckpointedEntries = checkpointed,
            NotYetCheckpointed = pending == 0 ? null : new LedgerUncheckpointed(pending, LedgerHash.ParseTime(pendingFrom!), LedgerHash.ParseTime(pendingTo!)),
            SignaturesChecked = keys is not null,
        };

        void EndStream()
        {
            if (stream is not null && truncation is null && recorded is { } head && expectedSeq - 1 < head.Seq)
            {
                truncation = (head.CheckpointId, stream, head.CheckpointId);
            }
        }

        await foreach (var entry in entries.WithCancellation(cancellationToken))
        {
            if (!string.Equals(stream, entry.StreamId, StringComparison.Ordinal))
            {
                EndStream();
                stream = entry.StreamId;
                streamsSeen.Add(stream);
                expectedSeq = 1;
                expectedPrev = LedgerHash.Genesis;
                recorded = state.HeadOf(stream);
            }

            if (entry.Seq != expectedSeq)
            {
                return Result(false, entry.EntryId, SequenceGap, entry.StreamId);
            }

            if (!string.Equals(entry.PrevHash, expectedPrev, StringComparison.Ordinal))
            {
                return Result(false, entry.EntryId, ChainBroken, entry.StreamId);
            }

            var recomputed = LedgerHash.Compute(
                entry.EntryId, entry.TenantId, entry.StreamId, entry.Seq, entry.RunId,
                entry.Type, entry.At, entry.Actor, entry.Payload, entry.PrevHash);
            if (!string.Equals(entry.Hash, recomputed, StringComparison.Ordinal))
            {
                return Result(false, entry.EntryId, HashMismatch, entry.StreamId);
            }

            if (recorded is { } mark && entry.Seq == mark.Seq && !string.Equals(entry.Hash, mark.Hash, StringComparison.Ordinal))
            {
                return Result(false, entry.EntryId, CheckpointMismatch, entry.StreamId);
            }

            count++;
            if (recorded is { } covered && entry.Seq <= covered.Seq)
            {
                checkpointed++;
            }
            else
            {
                pending++;
                pendingFrom = pendingFrom is null || string.CompareOrdinal(entry.At, pendingFrom) < 0 ? entry.At : pendingFrom;
                pendingTo = pendingTo is null || string.CompareOrdinal(entry.At, pendingTo) > 0 ? entry.At : pendingTo;
                if (coverage is not null && (overdue is null || string.CompareOrdinal(entry.At, overdue.Value.At) < 0)
                    && LedgerHash.ParseTime(entry.At) < coverage.Cutoff)
                {
                    overdue = (entry.EntryId, entry.StreamId, entry.At);
                }
            }

            expectedSeq = entry.Seq + 1;
            expectedPrev = entry.Hash;
        }

        EndStream();
        if (checkpointProblem is { } broken)
        {
            return Result(false, broken.Id, broken.Problem, broken.Stream);
        }

        if (truncation is { } cut)
        {
            return Result(false, cut.Id, StreamTruncated, cut.Stream);
        }

        // A stream a checkpoint recorded but with no entry left at all: cut whole.
        foreach (var head in state.Heads)
        {
            if (!streamsSeen.Contains(head.StreamId))
            {
                return Result(false, state.HeadOf(head.StreamId)!.Value.CheckpointId, StreamTruncated, head.StreamId);
            }
        }

        // The oldest entry that waited longer for a checkpoint than the rule allows.
        if (overdue is { } late)
        {
            return Result(false, late.Id, CheckpointOverdue, late.Stream);
        }

        return Result(true, null, null, null);
    }

    private static (string Id, string Problem, string? Stream)? CheckCheckpoint(
        LedgerCheckpoint checkpoint, LedgerCheckpointState state, LedgerCheckpointKeyring? keys, string tenant, bool privateKeySigned, out string? algorithm)
    {
        algorithm = null;
        var id = checkpoint.CheckpointId;
        if (checkpoint.Seq != state.Seq + 1)
        {
            return (id, CheckpointSequenceGap, null);
        }

        if (!string.Equals(checkpoint.PrevHash, state.Hash, StringComparison.Ordinal))
        {
            return (id, CheckpointChainBroken, null);
        }

        byte[] bytes;
        try
        {
            bytes = LedgerCheckpoints.CanonicalBytes(checkpoint);
        }
        catch (Exception ex) when (ex is ArgumentException or System.Text.DecoderFallbackException or System.Text.EncoderFallbackException)
        {
            return (id, CheckpointMalformed, null);
        }

        if (!string.Equals(checkpoint.Hash, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), StringComparison.Ordinal))
        {
            return (id, CheckpointHashMismatch, null);
        }

        if (keys is not null)
        {
            if (keys.Find(checkpoint.KeyId) is not { } key)
            {
                return (id, CheckpointKeyUnknown, null);
            }

            // The key's algorithm, never the checkpoint's word: a public key's id with an HMAC signature is invalid.
            if (!key.Verify(bytes, checkpoint.Signature))
            {
                return (id, CheckpointSignatureInvalid, null);
            }

            if (privateKeySigned && key.Algorithm != LedgerCheckpointAlgorithms.EcdsaP256)
            {
                return (id, CheckpointSignatureDowngraded, null);
            }

            algorithm = key.Algorithm;
        }

        var heads = checkpoint.Heads.IsDefault ? [] : checkpoint.Heads;
        if (!string.Equals(checkpoint.TenantId, tenant, StringComparison.Ordinal))
        {
            return (id, CheckpointMalformed, null);
        }

        for (var i = 0; i < heads.Length; i++)
        {
            if (heads[i].Seq < 1 || (i > 0 && LedgerCheckpoints.CompareStreamIds(heads[i - 1].StreamId, heads[i].StreamId) >= 0))
            {
                return (id, CheckpointMalformed, heads[i].StreamId);
            }
        }

        if (state.Regressions(heads) is [var backwards, ..])
        {
            return (id, CheckpointHeadBackwards, backwards.StreamId);
        }

        var (root, streams) = state.Preview(heads);
        if (!string.Equals(root, checkpoint.MerkleRoot, StringComparison.Ordinal) || streams != checkpoint.StreamCount)
        {
            return (id, CheckpointMerkleMismatch, null);
        }

        return null;
    }

#pragma warning disable CS1998 // An empty async stream.
    private static async IAsyncEnumerable<LedgerCheckpoint> EmptyCheckpoints()
    {
        yield break;
    }
#pragma warning restore CS1998
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autonomy.Ledger;

/// <summary>
/// Writes one tenant's next checkpoint (what <see cref="LedgerCheckpointGrain"/> does each period). Between calls
/// it keeps only the last checkpoint and the entry cursor, never a head per stream: the heads earlier checkpoints
/// recorded are in the store (<see cref="ILedger.ReadRecordedHeadsAsync"/>), and each call that finds changes walks
/// them once in canonical order, with memory for the changed heads and a logarithmic Merkle stack. That walk must
/// give the last signed checkpoint's Merkle root and stream count, or the recorded heads are rebuilt from the
/// signed chain first (an older store, or an index someone edited), so the store's index is never trusted on its
/// own. A head lower than recorded, the same seq with another hash, or a recorded entry gone from under a higher
/// head (a tail cut and written again) is refused as a <see cref="LedgerTruncation"/>, and so is a chain shorter
/// than the witness (the last checkpoint written, as its writer remembers it); nothing new, nothing written. Not
/// thread safe: one caller at a time (a grain).
/// </summary>
public sealed class LedgerCheckpointWriter(ILedger ledger, LedgerCheckpointKeyring keys, TimeProvider time, string tenantId, ILogger? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private Tip? _tip;

    /// <summary>How many times this writer rebuilt the store's recorded heads from the checkpoint chain.</summary>
    public int Rebuilds { get; private set; }

    /// <summary>Forgets the last checkpoint: the next call reads it again.</summary>
    public void Reset() => _tip = null;

    /// <summary>Writes the next checkpoint if anything changed; refuses (and writes nothing) on a truncation.</summary>
    public async Task<LedgerCheckpointOutcome> WriteAsync(LedgerCheckpointWitness? witness, CancellationToken cancellationToken = default)
    {
        try
        {
            return await WriteOnceAsync(witness, cancellationToken);
        }
        catch
        {
            // The write may or may not have landed (or another writer got there first): read the chain again.
            _tip = null;
            throw;
        }
    }

    private async Task<LedgerCheckpointOutcome> WriteOnceAsync(LedgerCheckpointWitness? witness, CancellationToken cancellationToken)
    {
        var tip = _tip ?? await LoadAsync(cancellationToken);
        if (witness is { Seq: > 0 } w && (w.Seq > tip.Seq || (w.Seq == tip.Seq && w.Hash != tip.Hash)))
        {
            _tip = null;
            return new LedgerCheckpointOutcome(null,
                $"the checkpoint chain of tenant '{tenantId}' ends at seq {tip.Seq} but checkpoint {w.Seq} ({w.Hash}) was written: its newest checkpoints were cut",
                null);
        }

        var changes = await ledger.ReadChangedHeadsAsync(tenantId, tip.Cursor, cancellationToken);
        if (changes.Heads.Count == 0)
        {
            _tip = tip with { Cursor = changes.Cursor };
            return new LedgerCheckpointOutcome(null, null, null);
        }

        var pass = await PassAsync(tip, changes.Heads, cancellationToken);
        LedgerRecordedHead? Recorded(string streamId) => pass.RecordedOfCurrent.GetValueOrDefault(streamId);
        if (LedgerRecordedHeads.Regressions(changes.Heads, Recorded) is [var lower, ..])
        {
            return Truncated(lower);
        }

        // A head above the recorded one must still stand on the recorded entry.
        var recorded = changes.Heads.Select(h => Recorded(h.StreamId)).OfType<LedgerRecordedHead>().ToList();
        if (recorded.Count > 0)
        {
            var found = (await ledger.ReadHashesAtAsync(recorded.Select(r => (r.StreamId, r.Seq)).ToList(), cancellationToken))
                .ToDictionary(h => h.StreamId, StringComparer.Ordinal);
            foreach (var head in recorded)
            {
                if (!found.TryGetValue(head.StreamId, out var stored) || stored.Hash != head.Hash)
                {
                    return Truncated(new LedgerTruncation(head.StreamId, head.Seq, head.Hash, stored?.Seq ?? 0, head.CheckpointId));
                }
            }
        }

        var changed = LedgerRecordedHeads.Changed(changes.Heads, Recorded);
        if (changed.Count == 0)
        {
            _tip = tip with { Cursor = changes.Cursor };
            return new LedgerCheckpointOutcome(null, null, null);
        }

        var checkpoint = LedgerCheckpoints.Create(tenantId, tip.Seq + 1, time.GetUtcNow(), changed, pass.NextCount, pass.NextRoot, tip.Hash, keys.SigningKey);
        await ledger.AppendCheckpointAsync(checkpoint, changes.Cursor, cancellationToken);
        _tip = new Tip(checkpoint.Seq, checkpoint.Hash, checkpoint.MerkleRoot, checkpoint.StreamCount, changes.Cursor);
        return new LedgerCheckpointOutcome(checkpoint, null, null);
    }

    /// <summary>One walk over the recorded heads; when they do not add up to the last signed checkpoint, rebuilt from the chain and walked again.</summary>
    private async Task<LedgerHeadsPass> PassAsync(Tip tip, IReadOnlyList<LedgerCheckpointHead> current, CancellationToken cancellationToken)
    {
        var pass = await LedgerRecordedHeads.PassAsync(ledger.ReadRecordedHeadsAsync(tenantId, cancellationToken), current, cancellationToken);
        if (pass.RecordedRoot == tip.Root && pass.RecordedCount == tip.StreamCount)
        {
            return pass;
        }

        // Not what the chain signed: an older store without the index, or an index changed behind our back.
        _logger.LogWarning(
            "Recorded checkpoint heads of tenant {TenantId} ({Count} streams, root {Root}) do not match checkpoint {Seq} ({SignedCount} streams, root {SignedRoot}); rebuilding them from the checkpoint chain",
            tenantId, pass.RecordedCount, pass.RecordedRoot, tip.Seq, tip.StreamCount, tip.Root);
        var state = new LedgerCheckpointState();
        await foreach (var checkpoint in ledger.ReadCheckpointsAsync(tenantId, cancellationToken))
        {
            state.Apply(checkpoint);
        }

        if (state.Seq != tip.Seq || state.Hash != tip.Hash)
        {
            // Another writer moved the chain on (during a grain move): start over from the store next time.
            throw new LedgerConflictException($"checkpoint/{tenantId}", tip.Seq + 1);
        }

        await ledger.ReplaceRecordedHeadsAsync(tenantId, state.Recorded, cancellationToken);
        Rebuilds++;
        return await LedgerRecordedHeads.PassAsync(ledger.ReadRecordedHeadsAsync(tenantId, cancellationToken), current, cancellationToken);
    }

    private LedgerCheckpointOutcome Truncated(LedgerTruncation cut) => new(null,
        $"stream '{cut.StreamId}' of tenant '{tenantId}' is at seq {cut.FoundSeq} without the entry {cut.RecordedSeq} ({cut.RecordedHash}) that checkpoint {cut.CheckpointId} recorded: its tail was cut",
        cut);

    private async Task<Tip> LoadAsync(CancellationToken cancellationToken)
    {
        var last = await ledger.ReadLastCheckpointAsync(tenantId, cancellationToken);
        _tip = last is { Checkpoint: var c }
            ? new Tip(c.Seq, c.Hash, c.MerkleRoot, c.StreamCount, last.Cursor)
            : new Tip(0, LedgerHash.Genesis, LedgerCheckpoints.EmptyRoot, 0, null);
        return _tip;
    }

    /// <summary>The last checkpoint (seq, hash, Merkle root, stream count) and the entry cursor it read through.</summary>
    private sealed record Tip(long Seq, string Hash, string Root, long StreamCount, string? Cursor);
}

namespace Autonomy.Ledger;

/// <summary>
/// Writes one tenant's next checkpoint (what <see cref="LedgerCheckpointGrain"/> does each period): loads the
/// chain once, then each call reads the heads of streams with entries after its cursor; nothing new, nothing
/// written. A head lower than recorded, the same seq with another hash, or a recorded entry gone from under a
/// higher head (a tail cut and written again) is refused as a <see cref="LedgerTruncation"/>, and so is a chain
/// shorter than <paramref name="witness"/> (the last checkpoint written, as its writer remembers it). Not thread
/// safe: one caller at a time (a grain).
/// </summary>
public sealed class LedgerCheckpointWriter(ILedger ledger, LedgerCheckpointKeyring keys, TimeProvider time, string tenantId)
{
    private LedgerCheckpointState? _state;
    private string? _cursor;

    /// <summary>The chain as loaded and extended (null until the first call, and after a failure).</summary>
    public LedgerCheckpointState? State => _state;

    /// <summary>Forgets what was loaded: the next call reads the chain again.</summary>
    public void Reset() => _state = null;

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
            _state = null;
            throw;
        }
    }

    private async Task<LedgerCheckpointOutcome> WriteOnceAsync(LedgerCheckpointWitness? witness, CancellationToken cancellationToken)
    {
        var state = _state ?? await LoadAsync(cancellationToken);
        if (witness is { Seq: > 0 } w && (w.Seq > state.Seq || (w.Seq == state.Seq && w.Hash != state.Hash)))
        {
            _state = null;
            return new LedgerCheckpointOutcome(null,
                $"the checkpoint chain of tenant '{tenantId}' ends at seq {state.Seq} but checkpoint {w.Seq} ({w.Hash}) was written: its newest checkpoints were cut",
                null);
        }

        var changes = await ledger.ReadChangedHeadsAsync(tenantId, _cursor, cancellationToken);
        if (state.Regressions(changes.Heads) is [var lower, ..])
        {
            return Truncated(lower);
        }

        // A head above the recorded one must still stand on the recorded entry.
        var recorded = changes.Heads
            .Select(h => (h.StreamId, Head: state.HeadOf(h.StreamId)))
            .Where(r => r.Head is not null)
            .Select(r => (r.StreamId, Head: r.Head!.Value))
            .ToList();
        if (recorded.Count > 0)
        {
            var found = (await ledger.ReadHashesAtAsync(recorded.Select(r => (r.StreamId, r.Head.Seq)).ToList(), cancellationToken))
                .ToDictionary(h => h.StreamId, StringComparer.Ordinal);
            foreach (var (streamId, head) in recorded)
            {
                if (!found.TryGetValue(streamId, out var stored) || stored.Hash != head.Hash)
                {
                    return Truncated(new LedgerTruncation(streamId, head.Seq, head.Hash, stored?.Seq ?? 0, head.CheckpointId));
                }
            }
        }

        var changed = state.Changed(changes.Heads);
        if (changed.Count == 0)
        {
            _cursor = changes.Cursor;
            return new LedgerCheckpointOutcome(null, null, null);
        }

        var (root, streamCount) = state.Preview(changed);
        var checkpoint = LedgerCheckpoints.Create(tenantId, state.Seq + 1, time.GetUtcNow(), changed, streamCount, root, state.Hash, keys.Current);
        await ledger.AppendCheckpointAsync(checkpoint, changes.Cursor, cancellationToken);
        state.Apply(checkpoint);
        _cursor = changes.Cursor;
        return new LedgerCheckpointOutcome(checkpoint, null, null);
    }

    private LedgerCheckpointOutcome Truncated(LedgerTruncation cut) => new(null,
        $"stream '{cut.StreamId}' of tenant '{tenantId}' is at seq {cut.FoundSeq} without the entry {cut.RecordedSeq} ({cut.RecordedHash}) that checkpoint {cut.CheckpointId} recorded: its tail was cut",
        cut);

    private async Task<LedgerCheckpointState> LoadAsync(CancellationToken cancellationToken)
    {
        var state = new LedgerCheckpointState();
        await foreach (var checkpoint in ledger.ReadCheckpointsAsync(tenantId, cancellationToken))
        {
            state.Apply(checkpoint);
        }

        _cursor = state.Seq == 0 ? null : await ledger.ReadCheckpointCursorAsync(tenantId, cancellationToken);
        _state = state;
        return state;
    }
}

using Autonomy.Common;

namespace Autonomy.Ledger;

/// <summary>
/// The ledger steps of one grain operation, in order, written together by <see cref="FlushAsync"/>. An operation
/// creates its own batch and passes it along, so nothing drafted by one call can leak into another; flushing is
/// what every side effect waits for (no ledger, no action).
/// </summary>
public sealed class LedgerBatch(LedgerStream stream)
{
    private readonly List<LedgerDraft> _drafts = [];

    /// <summary>Whether steps are waiting to be written.</summary>
    public bool IsEmpty => _drafts.Count == 0;

    /// <summary>The seq of the stream's last durable entry.</summary>
    public long Seq => stream.Seq;

    /// <summary>Adds a step: its payload says which entry type it is.</summary>
    public void Add(string? runId, Actor actor, ILedgerPayload payload)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(payload);
        _drafts.Add(new LedgerDraft(payload.EntryType, runId, actor.Id, payload));
    }

    /// <summary>Makes every step added so far durable. A failed write keeps nothing: the caller's operation fails.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_drafts.Count == 0)
        {
            return Task.CompletedTask;
        }

        var batch = _drafts.ToArray();
        _drafts.Clear();
        // The stream's own task, not awaited here: one async frame less per flush on the ingest path.
        return stream.AppendAsync(batch, cancellationToken);
    }
}

using Autonomy.Common;

namespace Autonomy.Ledger;

/// <summary>
/// The writer of one ledger stream, owned by the grain whose stream it is (one per activation). Because that
/// grain is the only writer, the chain needs no lock: the head (last seq and hash) lives here, advances only
/// after the store confirmed the write, and is re-read from the store after any failed write, so neither a
/// conflict nor a write of unknown outcome can fork the chain. Calls must not overlap.
/// </summary>
public sealed class LedgerStream
{
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;
    private long _seq;
    private string _hash = LedgerHash.Genesis;
    private bool _headKnown;
    private bool _busy;

    public LedgerStream(ILedger ledger, TimeProvider time, string tenantId, string streamId)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        _ledger = ledger;
        _time = time;
        TenantId = tenantId;
        StreamId = streamId;
    }

    public string TenantId { get; }

    public string StreamId { get; }

    /// <summary>The seq of the last entry known to be durable (0 for an empty stream or before the head is read).</summary>
    public long Seq => _headKnown ? _seq : 0;

    /// <summary>Reads the stream's head from the store; call on activation.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Enter();
        try
        {
            await ReadHeadAsync(cancellationToken);
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>
    /// Takes the head from the stream's own entries that the caller has just read to its end (an activation's replay:
    /// its last entry, or the genesis of a stream with none), instead of reading it again.
    /// </summary>
    public void StartAt(long seq, string hash)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        Enter();
        (_seq, _hash, _headKnown, _busy) = (seq, hash, true, false);
    }

    /// <summary>Appends one step, of the entry type its payload names, and returns it once it is durable.</summary>
    public Task<LedgerEntry> AppendAsync(string? runId, Actor actor, ILedgerPayload payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(payload);
        return AppendAsync(payload.EntryType, runId, actor.Id, payload, cancellationToken);
    }

    /// <summary>Appends one entry of any type and shape: the store's own tests use it; the grains write typed payloads.</summary>
    internal async Task<LedgerEntry> AppendAsync(string type, string? runId, string actor, object payload, CancellationToken cancellationToken = default)
    {
        Enter();
        try
        {
            if (!_headKnown)
            {
                await ReadHeadAsync(cancellationToken);
            }

            var entry = Chain(type, runId, actor, payload, _seq + 1, _hash, _time.GetUtcNow());
            LedgerEntry[] entries = [entry];
            try
            {
                await _ledger.AppendAsync(entries, cancellationToken);
            }
            catch
            {
                _headKnown = false;
                throw;
            }

            Advance(entries);
            return entry;
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>Appends several entries atomically, in order, and returns them once they are durable.</summary>
    public async Task<IReadOnlyList<LedgerEntry>> AppendAsync(IReadOnlyList<LedgerDraft> drafts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        if (drafts.Count == 0)
        {
            return [];
        }

        Enter();
        try
        {
            if (!_headKnown)
            {
                await ReadHeadAsync(cancellationToken);
            }

            // One clock read: the entries of one call describe one moment.
            var at = _time.GetUtcNow();
            var entries = new LedgerEntry[drafts.Count];
            var seq = _seq;
            var prevHash = _hash;
            for (var i = 0; i < entries.Length; i++)
            {
                var draft = drafts[i] ?? throw new ArgumentException("A draft is null.", nameof(drafts));
                entries[i] = Chain(draft.Type, draft.RunId, draft.Actor, draft.Payload, ++seq, prevHash, at);
                prevHash = entries[i].Hash;
            }

            try
            {
                await _ledger.AppendAsync(entries, cancellationToken);
            }
            catch
            {
                _headKnown = false;
                throw;
            }

            Advance(entries);
            return entries;
        }
        finally
        {
            _busy = false;
        }
    }

    private LedgerEntry Chain(string type, string? runId, string actor, object payload, long seq, string prevHash, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var json = LedgerJson.Serialize(payload);
        var entryId = LedgerEntryIds.New(at);
        var hash = LedgerHash.Compute(entryId, TenantId, StreamId, seq, runId, type, at, actor, json, prevHash);
        return new LedgerEntry(entryId, TenantId, StreamId, seq, runId, type, at, actor, json, prevHash, hash);
    }

    /// <summary>
    /// Makes <paramref name="entries"/> the head, once the store confirmed them. A write that failed may or may not have
    /// landed (or another writer holds the seq): only the store knows, so the callers mark the head unknown then. Each
    /// caller awaits the store itself, which keeps the hot path to one async frame per append.
    /// </summary>
    private void Advance(LedgerEntry[] entries)
    {
        var last = entries[^1];
        _seq = last.Seq;
        _hash = last.Hash;
    }

    private async Task ReadHeadAsync(CancellationToken cancellationToken)
    {
        _headKnown = false;
        var head = await _ledger.ReadHeadAsync(StreamId, cancellationToken);
        _seq = head?.Seq ?? 0;
        _hash = head?.Hash ?? LedgerHash.Genesis;
        _headKnown = true;
    }

    // A reentrant grain could interleave two appends and chain both onto the same head; refuse loudly.
    private void Enter()
    {
        if (_busy)
        {
            throw new InvalidOperationException($"Ledger stream '{StreamId}' is already appending; calls must not overlap.");
        }

        _busy = true;
    }
}

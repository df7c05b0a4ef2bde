using System.Data.Common;

namespace Autonomy.Ledger;

/// <summary>
/// The group committer's writer for any <see cref="SqlLedger"/>: one connection, opened by the dialect and kept
/// across batches; each batch is one transaction around the dialect's bulk insert. A UNIQUE (stream_id, seq)
/// refusal is turned into <see cref="LedgerConflictException"/> naming the first entry whose seq is taken; any
/// other refusal by the store is bad data. After a failure that says the store is unavailable the connection
/// is dropped and a new one is opened for the next batch, so a store that comes back is used again.
/// </summary>
internal sealed class SqlLedgerWriter(ILedgerDialect dialect) : ILedgerBatchWriter, IAsyncDisposable
{
    private ILedgerBulkInsert? _insert;

    public async ValueTask WriteAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
    {
        var insert = await OpenAsync(cancellationToken);
        Exception conflict;
        try
        {
            // Disposed before any catch below runs: a failed batch is rolled back first.
            await using var transaction = await insert.Connection.BeginTransactionAsync(cancellationToken);
            await insert.InsertAsync(transaction, entries, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return;
        }
        catch (Exception ex) when (dialect.IsSeqConflict(ex))
        {
            // Resolved below, outside this handler, so a failure while asking is mapped like any other.
            conflict = ex;
        }
        catch (Exception ex) when (dialect.IsUnavailable(ex))
        {
            // Also a failed commit: its outcome is unknown, and the writing stream re-reads its head.
            await CloseAsync();
            throw dialect.Unavailable("written", ex);
        }
        catch (DbException ex)
        {
            throw new ArgumentException($"The ledger rejected the batch: {ex.Message}", nameof(entries), ex);
        }

        LedgerEntry? taken;
        try
        {
            taken = await FindTakenAsync(insert.Connection, entries, cancellationToken);
        }
        catch (Exception ex) when (dialect.IsUnavailable(ex))
        {
            await CloseAsync();
            throw dialect.Unavailable("written", ex);
        }

        throw taken is null
            ? new ArgumentException($"The ledger rejected the batch: {conflict.Message}", nameof(entries), conflict)
            : new LedgerConflictException(taken.StreamId, taken.Seq);
    }

    public ValueTask DisposeAsync() => CloseAsync();

    /// <summary>
    /// The first entry, in batch order, whose (stream, seq) is taken: by an earlier entry of the same batch, or
    /// by a stored entry (asked after the failed transaction rolled back, so only committed entries count).
    /// </summary>
    private static async Task<LedgerEntry?> FindTakenAsync(DbConnection connection, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
    {
        var ranges = new Dictionary<string, (long First, long Last)>();
        foreach (var entry in entries)
        {
            ranges[entry.StreamId] = ranges.TryGetValue(entry.StreamId, out var range)
                ? (Math.Min(range.First, entry.Seq), Math.Max(range.Last, entry.Seq))
                : (entry.Seq, entry.Seq);
        }

        var stored = new HashSet<(string, long)>();
        foreach (var chunk in ranges.Chunk(LedgerReads.StreamsPerTakenLookup))
        {
            await using var command = connection.CreateCommand();
            LedgerReads.PrepareTaken(command, chunk);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var seen = new HashSet<(string, long)>();
        foreach (var entry in entries)
        {
            var key = (entry.StreamId, entry.Seq);
            if (stored.Contains(key) || !seen.Add(key))
            {
                return entry;
            }
        }

        return null;
    }

    private async Task<ILedgerBulkInsert> OpenAsync(CancellationToken cancellationToken)
    {
        if (_insert is not null)
        {
            return _insert;
        }

        try
        {
            _insert = await dialect.OpenWriterAsync(cancellationToken);
            return _insert;
        }
        catch (Exception ex) when (ex is DbException || dialect.IsUnavailable(ex))
        {
            throw dialect.Unavailable("written", ex);
        }
    }

    private async ValueTask CloseAsync()
    {
        if (_insert is { } insert)
        {
            _insert = null;
            await insert.DisposeAsync();
        }
    }
}

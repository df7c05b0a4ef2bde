using Npgsql;
using NpgsqlTypes;

namespace Autonomy.Ledger;

/// <summary>
/// The one writer connection of a PostgreSQL ledger, used only by the group committer's loop. A batch is one
/// transaction holding one binary COPY, the fastest way into PostgreSQL for one row or thousands. After a
/// connection-class failure the connection is dropped and a new one is opened for the next batch, so a
/// server that comes back is used again.
/// </summary>
internal sealed class PostgresLedgerWriter(NpgsqlDataSource dataSource) : ILedgerBatchWriter, IAsyncDisposable
{
    private const string CopySql =
        "COPY ledger_entries (entry_id, tenant_id, stream_id, seq, run_id, account_id, type, at, actor, payload, prev_hash, hash) FROM STDIN (FORMAT BINARY)";

    /// <summary>The UNIQUE (stream_id, seq) constraint of ledger.sql: a violation is a stale writer, not bad data.</summary>
    private const string StreamSeqConstraint = "ledger_entries_stream_seq";

    private NpgsqlConnection? _connection;

    public async ValueTask WriteAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var copy = await connection.BeginBinaryImportAsync(CopySql, cancellationToken))
            {
                foreach (var entry in entries)
                {
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(entry.EntryId, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(entry.TenantId, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(entry.StreamId, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(entry.Seq, NpgsqlDbType.Bigint, cancellationToken);
                    await WriteNullableAsync(copy, entry.RunId, cancellationToken);
                    await WriteNullableAsync(copy, LedgerStreamIds.AccountIdOf(entry.TenantId, entry.StreamId), cancellationToken);
                    await copy.WriteAsync(entry.Type, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(LedgerHash.FormatTime(entry.At), NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(entry.Actor, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(entry.Payload, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(entry.PrevHash, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(entry.Hash, NpgsqlDbType.Text, cancellationToken);
                }

                await copy.CompleteAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == StreamSeqConstraint)
        {
            var taken = await FindTakenAsync(connection, entries, cancellationToken)
                ?? throw new ArgumentException($"The ledger rejected the batch: {ex.MessageText}", nameof(entries), ex);
            throw new LedgerConflictException(taken.StreamId, taken.Seq);
        }
        catch (NpgsqlException ex) when (PostgresLedger.IsUnavailable(ex))
        {
            // Also a failed commit: its outcome is unknown, and the writing stream re-reads its head.
            await CloseAsync();
            throw PostgresLedger.Unavailable("written", ex);
        }
        catch (PostgresException ex)
        {
            throw new ArgumentException($"The ledger rejected the batch: {ex.MessageText}", nameof(entries), ex);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException)
        {
            await CloseAsync();
            throw new LedgerUnavailableException("The PostgreSQL ledger cannot be written.", ex);
        }
    }

    public ValueTask DisposeAsync() => CloseAsync();

    private static Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    /// <summary>
    /// The first entry, in batch order, whose (stream, seq) is taken: by an earlier entry of the same batch, or
    /// by a stored entry (asked after the failed transaction rolled back, so only committed entries count).
    /// </summary>
    private static async Task<LedgerEntry?> FindTakenAsync(NpgsqlConnection connection, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
    {
        var seen = new HashSet<(string, long)>();
        foreach (var entry in entries)
        {
            if (!seen.Add((entry.StreamId, entry.Seq)))
            {
                return entry;
            }
        }

        await using var command = new NpgsqlCommand(
            "SELECT l.stream_id, l.seq FROM ledger_entries AS l JOIN unnest(@streams, @seqs) AS b (stream_id, seq) ON l.stream_id = b.stream_id AND l.seq = b.seq;",
            connection);
        command.Parameters.AddWithValue("streams", entries.Select(e => e.StreamId).ToArray());
        command.Parameters.AddWithValue("seqs", entries.Select(e => e.Seq).ToArray());
        var stored = new HashSet<(string, long)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        return entries.FirstOrDefault(e => stored.Contains((e.StreamId, e.Seq)));
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return _connection;
        }

        try
        {
            _connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return _connection;
        }
        catch (NpgsqlException ex)
        {
            throw PostgresLedger.Unavailable("written", ex);
        }
    }

    private async ValueTask CloseAsync()
    {
        if (_connection is { } connection)
        {
            _connection = null;
            await connection.DisposeAsync();
        }
    }
}

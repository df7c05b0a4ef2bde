using System.Data.Common;

namespace Autonomy.Ledger;

/// <summary>
/// The checkpoint store of <see cref="SqlLedger"/>: the heads changed after a cursor, the hashes at recorded seqs, the
/// signed checkpoint chain with its entry cursor, and the recorded heads (<c>ledger_checkpoint_heads</c>), written in
/// each checkpoint's own transaction; the statements are <see cref="LedgerCheckpointStatements"/>.
/// </summary>
public abstract partial class SqlLedger
{
    /// <inheritdoc />
    public async Task<LedgerHeadChanges> ReadChangedHeadsAsync(string tenantId, string? cursor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        var after = LedgerPaging.Decode(cursor);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        LedgerReads.PrepareChangedHeads(command, tenantId, after, _dialect.CommitOrdered);
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        var changes = await LedgerReads.ReadChangedHeadsAsync(reader, after, _dialect.CommitOrdered, cancellationToken);
        return changes.Heads.Count == 0 ? new LedgerHeadChanges([], cursor) : changes;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LedgerCheckpointHead>> ReadHashesAtAsync(IReadOnlyCollection<(string StreamId, long Seq)> at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(at);
        var found = new List<LedgerCheckpointHead>();
        if (at.Count == 0)
        {
            return found;
        }

        await using var connection = await OpenReadAsync(cancellationToken);
        foreach (var chunk in at.Chunk(LedgerReads.StreamsPerTakenLookup))
        {
            await using var command = connection.CreateCommand();
            LedgerReads.PrepareHashesAt(command, chunk);
            await using var reader = await ExecuteReaderAsync(command, cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                found.Add(new LedgerCheckpointHead(reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async Task AppendCheckpointAsync(LedgerCheckpoint checkpoint, string? cursor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var connection = await OpenReadAsync(cancellationToken);
        try
        {
            await WriteHeadsAsync(connection, checkpoint.TenantId, command => LedgerCheckpointStatements.PrepareCheckpointInsert(command, checkpoint, cursor),
                checkpoint.Heads.Select(h => new LedgerRecordedHead(h.StreamId, h.Seq, h.Hash, checkpoint.CheckpointId)), cancellationToken);
            return;
        }
        catch (Exception ex) when (_dialect.IsUnavailable(ex))
        {
            throw _dialect.Unavailable("written", ex);
        }
        catch (DbException)
        {
            // Most likely the seq is taken (another writer of the tenant's checkpoints); asked below.
        }

        await using (var taken = connection.CreateCommand())
        {
            LedgerCheckpointStatements.PrepareCheckpointTaken(taken, checkpoint.TenantId, checkpoint.Seq);
            if (await taken.ExecuteScalarAsync(cancellationToken) is not null and not DBNull)
            {
                throw new LedgerConflictException($"checkpoint/{checkpoint.TenantId}", checkpoint.Seq);
            }
        }

        throw new ArgumentException($"The ledger rejected checkpoint {checkpoint.Seq} of tenant '{checkpoint.TenantId}'.", nameof(checkpoint));
    }

    /// <inheritdoc />
    public IAsyncEnumerable<LedgerRecordedHead> ReadRecordedHeadsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        return ReadRowsAsync(
            command => LedgerCheckpointStatements.PrepareRecordedHeads(command, tenantId),
            reader => new LedgerRecordedHead(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3)),
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task ReplaceRecordedHeadsAsync(string tenantId, IEnumerable<LedgerRecordedHead> heads, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentNullException.ThrowIfNull(heads);
        await using var connection = await OpenReadAsync(cancellationToken);
        try
        {
            await WriteHeadsAsync(connection, tenantId, command => LedgerCheckpointStatements.PrepareForgetHeads(command, tenantId), heads, cancellationToken);
        }
        catch (Exception ex) when (_dialect.IsUnavailable(ex))
        {
            throw _dialect.Unavailable("written", ex);
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<LedgerCheckpoint> ReadCheckpointsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        return ReadRowsAsync(command => LedgerCheckpointStatements.PrepareCheckpoints(command, tenantId), LedgerCheckpointStatements.ReadCheckpoint, longRead: true, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<LedgerCheckpointTip?> ReadLastCheckpointAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        LedgerCheckpointStatements.PrepareLastCheckpoint(command, tenantId);
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LedgerCheckpointTip(LedgerCheckpointStatements.ReadCheckpoint(reader), reader.IsDBNull(11) ? null : reader.GetString(11))
            : null;
    }

    /// <summary>One transaction: the statement <paramref name="first"/> prepares, then <paramref name="heads"/> recorded in chunks.</summary>
    private static async Task WriteHeadsAsync(DbConnection connection, string tenantId, Action<DbCommand> first, IEnumerable<LedgerRecordedHead> heads, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            first(command);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var chunk in heads.Chunk(LedgerCheckpointStatements.HeadsPerStatement))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            LedgerCheckpointStatements.PrepareRecordHeads(command, tenantId, chunk);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}

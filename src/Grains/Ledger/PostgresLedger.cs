using System.Runtime.CompilerServices;
using Npgsql;

namespace Autonomy.Ledger;

/// <summary>
/// The ledger of the cluster mode: the <c>ledger_entries</c> table of a PostgreSQL database shared by every
/// silo (<c>deploy/sql/postgresql/ledger.sql</c>, applied by <see cref="Hosting.PostgresSchema"/> before use).
/// Appends go through a group committer whose writer owns one connection and writes each batch with one
/// binary COPY in one transaction; reads take pooled connections and never wait for the writer. The same
/// semantics as <see cref="SqliteLedger"/>: time filters are half-open (<c>from</c> inclusive, <c>to</c>
/// exclusive), an entry's account id comes from its stream id (<see cref="LedgerStreamIds"/>), paging and
/// verification are <see cref="LedgerPaging"/> and <see cref="LedgerVerifier"/>. An unreachable server or a
/// missing schema is a <see cref="LedgerUnavailableException"/>. Connections come from a pool of the ledger's
/// own, <see cref="DefaultMaxPoolSize"/> unless the connection string sets another Maximum Pool Size.
/// </summary>
public sealed class PostgresLedger : ILedger, IAsyncDisposable
{
    /// <summary>
    /// The ledger's pool size when the connection string keeps Npgsql's default (100): hundreds of grains
    /// activating at once each read their head, and a pool of 100 per silo would exhaust the server's
    /// connections (100 by default) for every silo; beyond the pool, reads wait their turn instead.
    /// </summary>
    internal const int DefaultMaxPoolSize = 20;

    private const int NpgsqlDefaultMaxPoolSize = 100;

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresLedgerWriter _writer;
    private readonly LedgerGroupCommitter _committer;
    private int _disposed;

    public PostgresLedger(string connectionString, TimeProvider time, int maxBatchEntries = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentNullException.ThrowIfNull(time);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxPoolSize == NpgsqlDefaultMaxPoolSize)
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _writer = new PostgresLedgerWriter(_dataSource);
        _committer = new LedgerGroupCommitter(_writer, time, maxBatchEntries);
    }

    internal LedgerGroupCommitter Committer => _committer;

    /// <inheritdoc />
    public Task AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default) =>
        _committer.AppendAsync(entries, cancellationToken);

    /// <inheritdoc />
    public async Task<LedgerHead?> ReadHeadAsync(string streamId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        LedgerReads.PrepareHead(command, streamId);
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        return await LedgerReads.ReadHeadAsync(reader, streamId, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LedgerEntry>> ReadStreamAsync(string streamId, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        LedgerReads.PrepareStream(command, streamId, afterSeq, limit);
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        return await LedgerReads.ReadEntriesAsync(reader, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrEmpty(query.TenantId);
        var afterPosition = LedgerPaging.DecodeCursor(query.Cursor);

        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var limit = LedgerReads.PreparePage(command, query, afterPosition);
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        return await LedgerReads.ReadPageAsync(reader, limit, cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<LedgerEntry> ExportAsync(
        string tenantId,
        DateTimeOffset? from,
        DateTimeOffset? to,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        LedgerReads.PrepareExport(command, tenantId, from, to);

        // One statement is one snapshot, and Npgsql streams its rows: consistent, never the tenant in memory.
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return LedgerReads.ReadEntry(reader, 0);
        }
    }

    /// <inheritdoc />
    public Task<LedgerVerification> VerifyAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        return LedgerVerifier.VerifyAsync(ReadChainsAsync(tenantId, cancellationToken), cancellationToken);
    }

    /// <summary>Writes everything already appended, then closes the writer and the connection pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _committer.DisposeAsync();
        await _writer.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    /// <summary>
    /// True when the failure says the store cannot be used now (no answer, connection lost, server shutting
    /// down or out of resources, refused login, missing database or schema, read-only standby) rather than
    /// that the statement or its data were wrong.
    /// </summary>
    internal static bool IsUnavailable(NpgsqlException exception) => exception switch
    {
        PostgresException server => server.SqlState[..2] is "08" or "28" or "3D" or "40" or "53" or "57" or "58"
            || server.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.ReadOnlySqlTransaction,
        _ => true,
    };

    internal static LedgerUnavailableException Unavailable(string what, NpgsqlException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable }
            ? new($"The PostgreSQL ledger cannot be {what}: its schema is missing; apply deploy/sql/postgresql/ledger.sql (PostgresSchema.ApplyAsync).", exception)
            : new($"The PostgreSQL ledger cannot be {what}.", exception);

    // One statement over one snapshot, grouped by stream and in seq order, as the verifier walks it.
    private async IAsyncEnumerable<StoredLedgerEntry> ReadChainsAsync(string tenantId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        LedgerReads.PrepareChains(command, tenantId);
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return LedgerReads.ReadStoredEntry(reader);
        }
    }

    private static async Task<NpgsqlDataReader> ExecuteReaderAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteReaderAsync(cancellationToken);
        }
        catch (NpgsqlException ex) when (IsUnavailable(ex))
        {
            throw Unavailable("read", ex);
        }
    }

    private async Task<NpgsqlConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            throw Unavailable("read", ex);
        }
    }
}

using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Autonomy.Ledger;

/// <summary>
/// The ledger of the embedded mode: one SQLite file in WAL mode. Appends go through a group committer that
/// owns the only writer connection; reads use their own pooled connections and never wait for the writer.
/// The schema (<c>deploy/sql/sqlite/ledger.sql</c>) is created on first use, or by <see cref="InitializeAsync"/>.
/// Time filters are half-open: <c>from</c> inclusive, <c>to</c> exclusive. An entry's account id comes from
/// its stream id (see <see cref="LedgerStreamIds"/>).
/// </summary>
public sealed class SqliteLedger : ILedger, IAsyncDisposable
{
    private readonly string _readConnectionString;
    private readonly string _writeConnectionString;
    private readonly SqliteLedgerWriter _writer;
    private readonly LedgerGroupCommitter _committer;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;
    private int _disposed;

    public SqliteLedger(string path, TimeProvider time, int maxBatchEntries = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(time);
        Path = path;
        // The writer is not pooled: closing it must really release the file, and it is opened once anyway.
        _writeConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
        }.ToString();
        _writer = new SqliteLedgerWriter(path, _writeConnectionString);
        _committer = new LedgerGroupCommitter(_writer, time, maxBatchEntries);
    }

    /// <summary>The ledger file.</summary>
    public string Path { get; }

    internal LedgerGroupCommitter Committer => _committer;

    /// <summary>Creates the file and schema if missing; lets a host fail at start rather than at the first write.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaLock.WaitAsync(cancellationToken);
        try
        {
            if (_schemaReady)
            {
                return;
            }

            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            await using var connection = new SqliteConnection(_writeConnectionString);
            await connection.OpenAsync(cancellationToken);
            SqliteLedgerSchema.Apply(connection);
            _schemaReady = true;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new LedgerUnavailableException($"The ledger file '{Path}' cannot be opened.", ex);
        }
        finally
        {
            _schemaLock.Release();
        }
    }

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
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await LedgerReads.ReadHeadAsync(reader, streamId, cancellationToken);
        }
        catch (SqliteException ex) when (SqliteLedgerSchema.IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LedgerEntry>> ReadStreamAsync(string streamId, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        LedgerReads.PrepareStream(command, streamId, afterSeq, limit);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await LedgerReads.ReadEntriesAsync(reader, cancellationToken);
        }
        catch (SqliteException ex) when (SqliteLedgerSchema.IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
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
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await LedgerReads.ReadPageAsync(reader, limit, cancellationToken);
        }
        catch (SqliteException ex) when (SqliteLedgerSchema.IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
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

        // One reader over one snapshot: the export is consistent and never holds the tenant in memory.
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

    /// <summary>Writes everything already appended, stops the writer and releases the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _committer.DisposeAsync();
        _writer.Dispose();
        using (var connection = new SqliteConnection(_readConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _schemaLock.Dispose();
    }

    // One reader over one snapshot, grouped by stream and in seq order, as the verifier walks it.
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

    private async Task<SqliteDataReader> ExecuteReaderAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteReaderAsync(cancellationToken);
        }
        catch (SqliteException ex) when (SqliteLedgerSchema.IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    private async Task<SqliteConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        await InitializeAsync(cancellationToken);
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync();
            throw Unavailable(ex);
        }
    }

    private LedgerUnavailableException Unavailable(SqliteException exception) =>
        new($"The ledger file '{Path}' cannot be read.", exception);
}

using System.Runtime.CompilerServices;
using System.Text;
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
    private const string Columns = "entry_id, tenant_id, stream_id, seq, run_id, type, at, actor, payload, prev_hash, hash";

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
        command.CommandText = "SELECT seq, hash FROM ledger_entries WHERE stream_id = $stream_id ORDER BY seq DESC LIMIT 1;";
        command.Parameters.AddWithValue("$stream_id", streamId);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new LedgerHead(streamId, reader.GetInt64(0), reader.GetString(1))
                : null;
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
        command.CommandText = $"SELECT {Columns} FROM ledger_entries WHERE stream_id = $stream_id AND seq > $after ORDER BY seq LIMIT $limit;";
        command.Parameters.AddWithValue("$stream_id", streamId);
        command.Parameters.AddWithValue("$after", afterSeq);
        command.Parameters.AddWithValue("$limit", LedgerPaging.PageSize(limit));
        var entries = new List<LedgerEntry>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                entries.Add(ReadEntry(reader, 0));
            }
        }
        catch (SqliteException ex) when (SqliteLedgerSchema.IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }

        return entries;
    }

    /// <inheritdoc />
    public async Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrEmpty(query.TenantId);
        var limit = LedgerPaging.PageSize(query.Limit);
        var afterPosition = LedgerPaging.DecodeCursor(query.Cursor);

        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT position, {Columns} FROM ledger_entries WHERE tenant_id = $tenant_id AND position > $after");
        command.Parameters.AddWithValue("$tenant_id", query.TenantId);
        command.Parameters.AddWithValue("$after", afterPosition);
        if (query.AccountId is not null)
        {
            sql.Append(" AND account_id = $account_id");
            command.Parameters.AddWithValue("$account_id", query.AccountId);
        }

        if (query.RunId is not null)
        {
            sql.Append(" AND run_id = $run_id");
            command.Parameters.AddWithValue("$run_id", query.RunId);
        }

        if (query.Type is not null)
        {
            sql.Append(" AND type = $type");
            command.Parameters.AddWithValue("$type", query.Type);
        }

        AppendTimeFilter(sql, command, query.From, query.To);
        // One row more than the page tells whether a next page exists without a count.
        sql.Append(" ORDER BY position LIMIT $take;");
        command.Parameters.AddWithValue("$take", limit + 1);
        command.CommandText = sql.ToString();

        var items = new List<LedgerEntry>(Math.Min(limit, 64));
        long lastPosition = 0;
        var more = false;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (items.Count == limit)
                {
                    more = true;
                    break;
                }

                lastPosition = reader.GetInt64(0);
                items.Add(ReadEntry(reader, 1));
            }
        }
        catch (SqliteException ex) when (SqliteLedgerSchema.IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }

        return new LedgerPage(items, more ? LedgerPaging.EncodeCursor(lastPosition) : null);
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
        var sql = new StringBuilder($"SELECT {Columns} FROM ledger_entries WHERE tenant_id = $tenant_id");
        command.Parameters.AddWithValue("$tenant_id", tenantId);
        AppendTimeFilter(sql, command, from, to);
        sql.Append(" ORDER BY position;");
        command.CommandText = sql.ToString();

        // One reader over one snapshot: the export is consistent and never holds the tenant in memory.
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadEntry(reader, 0);
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

    private static void AppendTimeFilter(StringBuilder sql, SqliteCommand command, DateTimeOffset? from, DateTimeOffset? to)
    {
        // Stored times share one fixed UTC format, so comparing text compares instants.
        if (from is { } start)
        {
            sql.Append(" AND at >= $from");
            command.Parameters.AddWithValue("$from", LedgerHash.FormatTime(start));
        }

        if (to is { } end)
        {
            sql.Append(" AND at < $to");
            command.Parameters.AddWithValue("$to", LedgerHash.FormatTime(end));
        }
    }

    // One reader over one snapshot, grouped by stream and in seq order, as the verifier walks it.
    private async IAsyncEnumerable<StoredLedgerEntry> ReadChainsAsync(string tenantId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM ledger_entries WHERE tenant_id = $tenant_id ORDER BY stream_id, seq;";
        command.Parameters.AddWithValue("$tenant_id", tenantId);
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredLedgerEntry(
                EntryId: reader.GetString(0),
                TenantId: reader.GetString(1),
                StreamId: reader.GetString(2),
                Seq: reader.GetInt64(3),
                RunId: reader.IsDBNull(4) ? null : reader.GetString(4),
                Type: reader.GetString(5),
                At: reader.GetString(6),
                Actor: reader.GetString(7),
                Payload: reader.GetString(8),
                PrevHash: reader.GetString(9),
                Hash: reader.GetString(10));
        }
    }

    private static LedgerEntry ReadEntry(SqliteDataReader reader, int first) => new(
        EntryId: reader.GetString(first),
        TenantId: reader.GetString(first + 1),
        StreamId: reader.GetString(first + 2),
        Seq: reader.GetInt64(first + 3),
        RunId: reader.IsDBNull(first + 4) ? null : reader.GetString(first + 4),
        Type: reader.GetString(first + 5),
        At: LedgerHash.ParseTime(reader.GetString(first + 6)),
        Actor: reader.GetString(first + 7),
        Payload: reader.GetString(first + 8),
        PrevHash: reader.GetString(first + 9),
        Hash: reader.GetString(first + 10));

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

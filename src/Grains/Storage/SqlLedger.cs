using System.Data.Common;
using System.Runtime.CompilerServices;

namespace Autonomy.Ledger;

/// <summary>
/// The ledger over a SQL store, written once over ADO.NET for SQLite (<see cref="SqliteLedger"/>) and
/// PostgreSQL (<see cref="PostgresLedger"/>); an <see cref="ILedgerDialect"/> supplies only the connections,
/// the bulk insert and the meaning of the store's errors. Appends go through a group committer whose writer
/// owns one connection; reads take pooled connections of their own and never wait for the writer. Time filters
/// are half-open (<c>from</c> inclusive, <c>to</c> exclusive); an entry's account id comes from its stream id
/// (<see cref="LedgerStreamIds"/>); paging and verification are <see cref="LedgerPaging"/> and
/// <see cref="LedgerVerifier"/>. A store that cannot be used is a <see cref="LedgerUnavailableException"/>. The
/// checkpoint store (the signed chain, its entry cursor and the recorded heads) is in <c>SqlLedger.Checkpoints.cs</c>.
/// </summary>
public abstract partial class SqlLedger : ILedger, IAsyncDisposable
{
    private readonly ILedgerDialect _dialect;
    private readonly SqlLedgerWriter _writer;
    private readonly LedgerGroupCommitter _committer;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;
    private int _disposed;

    // Time comes first so a missing clock is refused before the dialect opens anything.
    private protected SqlLedger(TimeProvider time, ILedgerDialect dialect, int maxBatchEntries)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
        _writer = new SqlLedgerWriter(dialect);
        _committer = new LedgerGroupCommitter(_writer, time, maxBatchEntries);
    }

    internal LedgerGroupCommitter Committer => _committer;

    /// <summary>
    /// The keys that verify checkpoint signatures (a silo's also holds the private key its checkpoint writer signs
    /// with; a gateway's only public keys); null: verification checks everything but signatures.
    /// </summary>
    public LedgerCheckpointKeyring? CheckpointKeys { get; init; }

    /// <summary>Creates the store and schema where the ledger may (SQLite); lets a host fail at start rather than at the first write.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaLock.WaitAsync(cancellationToken);
        try
        {
            if (!_schemaReady)
            {
                await _dialect.InitializeAsync(cancellationToken);
                _schemaReady = true;
            }
        }
        catch (Exception ex) when (ex is DbException || _dialect.IsUnavailable(ex))
        {
            throw _dialect.Unavailable("opened", ex);
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
        var after = LedgerPaging.Decode(query.Cursor);

        await using var connection = await OpenReadAsync(cancellationToken);
        for (var wait = 0; ; wait++)
        {
            LedgerPage page;
            int limit;
            await using (var command = connection.CreateCommand())
            {
                limit = LedgerReads.PreparePage(command, query, after, _dialect.CommitOrdered);
                await using var reader = await ExecuteReaderAsync(command, cancellationToken);
                page = await LedgerReads.ReadPageAsync(reader, limit, _dialect.CommitOrdered, cancellationToken);
            }

            // A short page may be short only because a transaction that began earlier is still open somewhere on the
            // server (the commit-order horizon): wait a moment for it rather than answer without entries that committed.
            if (!_dialect.CommitOrdered || page.Items.Count == limit || wait == MaxHorizonWaits
                || !await HasWithheldAsync(connection, query.TenantId, page.LastCursor is { } last ? LedgerPaging.Decode(last) : after, cancellationToken))
            {
                return page;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5 << wait), cancellationToken);
        }
    }

    /// <summary>How often a short page waits for the horizon (5, 10, 20, ... 640 ms: at most 1.3 s in all).</summary>
    private const int MaxHorizonWaits = 8;

    private async Task<bool> HasWithheldAsync(DbConnection connection, string tenantId, LedgerCursor after, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        LedgerReads.PrepareWithheld(command, tenantId, after);
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        return await reader.ReadAsync(cancellationToken);
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

        // One statement is one snapshot and both providers stream its rows: consistent, never the tenant in memory.
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return LedgerReads.ReadEntry(reader, 0);
        }
    }

    /// <inheritdoc />
    public Task<LedgerVerification> VerifyAsync(string tenantId, CancellationToken cancellationToken = default) =>
        VerifyAsync(tenantId, null, cancellationToken);

    /// <inheritdoc />
    public Task<LedgerVerification> VerifyAsync(string tenantId, LedgerCheckpointWitness? witness, CancellationToken cancellationToken = default) =>
        VerifyAsync(tenantId, witness, null, cancellationToken);

    /// <inheritdoc />
    public Task<LedgerVerification> VerifyAsync(string tenantId, LedgerCheckpointWitness? witness, LedgerCoverageRule? coverage, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        return LedgerVerifier.VerifyAsync(
            ReadChainsAsync(tenantId, cancellationToken), ReadCheckpointsAsync(tenantId, cancellationToken), CheckpointKeys, witness, coverage, cancellationToken);
    }

    /// <summary>Writes everything already appended, then closes the writer and the readers' connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _committer.DisposeAsync();
        await _writer.DisposeAsync();
        await _dialect.DisposeAsync();
        _schemaLock.Dispose();
        GC.SuppressFinalize(this);
    }

    // One statement over one snapshot, grouped by stream and in seq order, as the verifier walks it.
    private IAsyncEnumerable<StoredLedgerEntry> ReadChainsAsync(string tenantId, CancellationToken cancellationToken) =>
        ReadRowsAsync(command => LedgerReads.PrepareChains(command, tenantId, _dialect.CommitOrdered), LedgerReads.ReadStoredEntry, cancellationToken);

    /// <summary>The rows of one statement, streamed on a reader connection of their own.</summary>
    private async IAsyncEnumerable<T> ReadRowsAsync<T>(Action<DbCommand> prepare, Func<DbDataReader, T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        prepare(command);
        await using var reader = await ExecuteReaderAsync(command, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return read(reader);
        }
    }

    private async Task<DbDataReader> ExecuteReaderAsync(DbCommand command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteReaderAsync(cancellationToken);
        }
        catch (Exception ex) when (_dialect.IsUnavailable(ex))
        {
            throw _dialect.Unavailable("read", ex);
        }
    }

    private async Task<DbConnection> OpenReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed == 1, this);
        await InitializeAsync(cancellationToken);
        try
        {
            return await _dialect.Readers.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is DbException || _dialect.IsUnavailable(ex))
        {
            throw _dialect.Unavailable("read", ex);
        }
    }
}

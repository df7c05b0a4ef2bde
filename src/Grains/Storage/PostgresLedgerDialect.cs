using System.Data.Common;
using Npgsql;
using NpgsqlTypes;

namespace Autonomy.Ledger;

/// <summary>
/// PostgreSQL under <see cref="SqlLedger"/>: the <c>ledger_entries</c> table of a database shared by every silo
/// (<c>deploy/sql/postgresql/ledger.sql</c>, applied by <see cref="Hosting.PostgresSchema"/> before use); one
/// <see cref="NpgsqlDataSource"/> of the ledger's own for the writer and the short reads, another for long reads
/// (exports, verifications, calibration datasets) so they never take the writer's connections; a batch is one binary
/// COPY, the fastest way into PostgreSQL for one row or thousands. Its SQLSTATEs say what a failure means.
/// </summary>
internal sealed class PostgresLedgerDialect : ILedgerDialect
{
    /// <summary>
    /// The ledger's pool size when the connection string keeps Npgsql's default (100): hundreds of grains
    /// activating at once each read their head, and a pool of 100 per silo would exhaust the server's
    /// connections (100 by default) for every silo; beyond the pool, reads wait their turn instead.
    /// </summary>
    internal const int DefaultMaxPoolSize = 20;

    private const int NpgsqlDefaultMaxPoolSize = 100;

    private const string CopySql =
        "COPY ledger_entries (entry_id, tenant_id, stream_id, seq, run_id, account_id, type, at, actor, payload, prev_hash, hash) FROM STDIN (FORMAT BINARY)";

    /// <summary>The UNIQUE (stream_id, seq) constraint of ledger.sql: a violation is a stale writer, not bad data.</summary>
    private const string StreamSeqConstraint = "ledger_entries_stream_seq";

    /// <summary>The long-read pool's size unless its own connection string sets one: exports and verifications at once.</summary>
    internal const int DefaultLongReadPoolSize = 4;

    /// <summary>The Application Name (pg_stat_activity) of the ledger's pool, unless the connection string names one.</summary>
    internal const string ApplicationName = "autonomy-ledger";

    /// <summary>The Application Name of the long-read pool, unless its own connection string names one.</summary>
    internal const string LongReadApplicationName = "autonomy-ledger-long-reads";

    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _longReads;

    /// <param name="connectionString">The ledger's database: the writer's connection and the short reads' pool.</param>
    /// <param name="longReadConnectionString">
    /// The long reads' own (a pool size or role of their own; the same database, never a lagging replica), or null: the same database, a pool of
    /// <see cref="DefaultLongReadPoolSize"/> named <see cref="LongReadApplicationName"/>.
    /// </param>
    public PostgresLedgerDialect(string connectionString, string? longReadConnectionString = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxPoolSize == NpgsqlDefaultMaxPoolSize)
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        builder.ApplicationName ??= ApplicationName;
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);

        // A connection string that differs is a pool of its own: Npgsql keys its pools by the string.
        var longReads = new NpgsqlConnectionStringBuilder(longReadConnectionString ?? connectionString);
        if (longReadConnectionString is null || longReads.MaxPoolSize == NpgsqlDefaultMaxPoolSize)
        {
            longReads.MaxPoolSize = DefaultLongReadPoolSize;
        }

        if (longReadConnectionString is null || longReads.ApplicationName is null)
        {
            longReads.ApplicationName = LongReadApplicationName;
        }

        _longReads = NpgsqlDataSource.Create(longReads.ConnectionString);
    }

    public bool CommitOrdered => true;

    public DbDataSource Readers => _dataSource;

    public DbDataSource LongReaders => _longReads;

    /// <summary>Nothing to create: the schema is the host's to apply, once for every silo.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<ILedgerBulkInsert> OpenWriterAsync(CancellationToken cancellationToken) =>
        new BinaryCopy(await _dataSource.OpenConnectionAsync(cancellationToken));

    public bool IsSeqConflict(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: StreamSeqConstraint };

    /// <summary>No answer, connection lost, server shutting down or out of resources, refused login, missing database or schema, read-only standby.</summary>
    public bool IsUnavailable(Exception exception) => StoreFailures.IsUnavailable(exception);

    public LedgerUnavailableException Unavailable(string what, Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable }
            ? new($"The PostgreSQL ledger cannot be {what}: its schema is missing; apply deploy/sql/postgresql/ledger.sql (PostgresSchema.ApplyAsync).", exception)
            : new($"The PostgreSQL ledger cannot be {what}.", exception);

    public async ValueTask DisposeAsync()
    {
        await _longReads.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    private sealed class BinaryCopy(NpgsqlConnection connection) : ILedgerBulkInsert
    {
        public DbConnection Connection => connection;

        // COPY runs in the connection's open transaction; the writer commits it.
        public async ValueTask InsertAsync(DbTransaction transaction, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
        {
            await using var copy = await connection.BeginBinaryImportAsync(CopySql, cancellationToken);
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
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

        public ValueTask DisposeAsync() => connection.DisposeAsync();

        private static Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
            value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
    }
}

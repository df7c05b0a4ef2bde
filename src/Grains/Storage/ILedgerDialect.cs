using System.Data.Common;

namespace Autonomy.Ledger;

/// <summary>
/// What one SQL store does its own way under <see cref="SqlLedger"/>: how its connections are made and
/// configured, how a batch goes in fast, and what its failures mean. Everything else (the statements, the
/// transaction around a batch, conflicts, paging, export, verification) is written once over ADO.NET.
/// </summary>
internal interface ILedgerDialect : IAsyncDisposable
{
    /// <summary>
    /// Whether pages need the commit-ordered cursor (transaction id and a snapshot horizon, PostgreSQL) because
    /// positions are taken at insert by concurrent writers; false where one writer takes them in commit order (SQLite).
    /// </summary>
    bool CommitOrdered { get; }

    /// <summary>Pooled connections for reads; they never wait for the writer.</summary>
    DbDataSource Readers { get; }

    /// <summary>
    /// Connections of their own for long reads (exports, verifications, calibration datasets, the checkpoint chain),
    /// which hold one for their whole run: never taken from the pool of the writer and the grains' head reads.
    /// </summary>
    DbDataSource LongReaders { get; }

    /// <summary>Creates the store and its schema where this store may (SQLite); a no-op where a host applies it.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Opens and configures the writer's own connection, ready to take batches until disposed.</summary>
    Task<ILedgerBulkInsert> OpenWriterAsync(CancellationToken cancellationToken);

    /// <summary>True when the store refused a row for its UNIQUE (stream_id, seq), or may have (the writer then checks).</summary>
    bool IsSeqConflict(Exception exception);

    /// <summary>
    /// True when the failure says the store cannot be used now (unreachable, out of resources, missing schema)
    /// rather than that the statement or its data were wrong.
    /// </summary>
    bool IsUnavailable(Exception exception);

    /// <summary>The exception callers see when the store cannot be <paramref name="what"/> ("read", "written").</summary>
    LedgerUnavailableException Unavailable(string what, Exception exception);
}

/// <summary>The writer's connection and the store's fastest way to insert a batch into it.</summary>
internal interface ILedgerBulkInsert : IAsyncDisposable
{
    DbConnection Connection { get; }

    /// <summary>Inserts every entry inside <paramref name="transaction"/>; the caller commits.</summary>
    ValueTask InsertAsync(DbTransaction transaction, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken);
}

using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Autonomy.Ledger;

/// <summary>
/// SQLite under <see cref="SqlLedger"/>: one file in WAL mode, created with its schema
/// (<c>deploy/sql/sqlite/ledger.sql</c>) on first use; one non-pooled writer connection with
/// <c>synchronous=NORMAL</c> and a prepared insert run once per entry inside the batch's transaction (SQLite is
/// in-process: a statement costs no round trip), its WAL checkpointed beside it (<see cref="SqliteWalCheckpointer"/>);
/// pooled readers. Its result codes say what a failure means.
/// </summary>
internal sealed class SqliteLedgerDialect : ILedgerDialect
{
    private const string InsertSql = """
        INSERT INTO ledger_entries
            (entry_id, tenant_id, stream_id, seq, run_id, account_id, type, at, actor, payload, prev_hash, hash)
        VALUES
            (@entry_id, @tenant_id, @stream_id, @seq, @run_id, @account_id, @type, @at, @actor, @payload, @prev_hash, @hash);
        """;

    private const int ConstraintUnique = 2067; // SQLITE_CONSTRAINT_UNIQUE

    /// <summary>
    /// <c>deploy/sql/sqlite/ledger.sql</c>, copied next to the assembly under <c>sql/sqlite/</c> by
    /// Autonomy.Grains.csproj: the SQL text lives in that one file.
    /// </summary>
    private static readonly Lazy<string> Ddl = new(() =>
    {
        var path = System.IO.Path.Combine(AppContext.BaseDirectory, "sql", "sqlite", "ledger.sql");
        return File.Exists(path)
            ? File.ReadAllText(path)
            : throw new LedgerUnavailableException($"The ledger schema script '{path}' is missing; Autonomy.Grains.csproj copies deploy/sql/sqlite/*.sql to sql/sqlite/ in the output folder.");
    });

    private readonly string _path;
    private readonly string _writeConnectionString;
    private readonly string _readConnectionString;
    private readonly SqliteWalCheckpointer _checkpointer;

    public SqliteLedgerDialect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        _checkpointer = new SqliteWalCheckpointer(path);
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
        Readers = SqliteFactory.Instance.CreateDataSource(_readConnectionString);

        // Long reads open a connection of their own each (cheap in-process), outside the readers' pool.
        LongReaders = SqliteFactory.Instance.CreateDataSource(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
    }

    public bool CommitOrdered => false;

    public DbDataSource Readers { get; }

    public DbDataSource LongReaders { get; }

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        using var connection = OpenWithSchema();
        return Task.CompletedTask;
    }

    public Task<ILedgerBulkInsert> OpenWriterAsync(CancellationToken cancellationToken)
    {
        // SQLite does its I/O synchronously anyway; this runs on the committer loop, never on a grain.
        var connection = OpenWithSchema();
        try
        {
            using (var pragma = connection.CreateCommand())
            {
                // In WAL mode NORMAL keeps every commit across a process crash and skips the fsync per
                // commit; only a power loss can take the last commits since the checkpoint.
                pragma.CommandText = "PRAGMA synchronous=NORMAL;";
                pragma.ExecuteNonQuery();
            }

            // Checkpoints run beside the writer rather than inside its commits (SqliteWalCheckpointer).
            _checkpointer.Attach(connection);
            return Task.FromResult<ILedgerBulkInsert>(new PreparedInsert(connection));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Any UNIQUE refusal: the ledger also keeps entry_id unique, and the writer tells the two apart by asking
    /// which (stream, seq) are taken.
    /// </summary>
    public bool IsSeqConflict(Exception exception) => exception is SqliteException { SqliteExtendedErrorCode: ConstraintUnique };

    public bool IsUnavailable(Exception exception) => exception is UnauthorizedAccessException || StoreFailures.IsUnavailable(exception);

    public LedgerUnavailableException Unavailable(string what, Exception exception) =>
        new($"The ledger file '{_path}' cannot be {what}.", exception);

    /// <summary>Stops the checkpoint thread (the writer is closed by then) and releases the readers' pooled handles on the file.</summary>
    public async ValueTask DisposeAsync()
    {
        _checkpointer.Dispose();
        using (var connection = new SqliteConnection(_readConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        await LongReaders.DisposeAsync();
        await Readers.DisposeAsync();
    }

    /// <summary>The writer's connection, the file and its directory created if missing, WAL on (readers never block the writer), the idempotent schema applied.</summary>
    private SqliteConnection OpenWithSchema()
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(_writeConnectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
            command.CommandText = Ddl.Value;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The writer's connection and its insert, prepared once and reused for every entry of every batch.</summary>
    private sealed class PreparedInsert : ILedgerBulkInsert
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;

        public PreparedInsert(SqliteConnection connection)
        {
            _connection = connection;
            _insert = connection.CreateCommand();
            _insert.CommandText = InsertSql;
            foreach (var name in (string[])["@entry_id", "@tenant_id", "@stream_id", "@seq", "@run_id", "@account_id", "@type", "@at", "@actor", "@payload", "@prev_hash", "@hash"])
            {
                _insert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            _insert.Prepare();
        }

        public DbConnection Connection => _connection;

        public ValueTask InsertAsync(DbTransaction transaction, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
        {
            _insert.Transaction = (SqliteTransaction)transaction;
            var parameters = _insert.Parameters;
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                parameters[0].Value = entry.EntryId;
                parameters[1].Value = entry.TenantId;
                parameters[2].Value = entry.StreamId;
                parameters[3].Value = entry.Seq;
                parameters[4].Value = (object?)entry.RunId ?? DBNull.Value;
                parameters[5].Value = (object?)LedgerStreamIds.AccountIdOf(entry.TenantId, entry.StreamId) ?? DBNull.Value;
                parameters[6].Value = entry.Type;
                parameters[7].Value = LedgerHash.FormatTime(entry.At);
                parameters[8].Value = entry.Actor;
                parameters[9].Value = entry.Payload;
                parameters[10].Value = entry.PrevHash;
                parameters[11].Value = entry.Hash;
                _insert.ExecuteNonQuery();
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            _insert.Dispose();
            _connection.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

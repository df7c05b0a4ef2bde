using Autonomy.Ledger;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Autonomy.Bench.Ledger;

/// <summary>The ceiling: rows straight into <c>ledger_entries</c>, one transaction per batch, nothing else in the way.</summary>
internal interface IRawInsert : IAsyncDisposable
{
    Task InsertAsync(IReadOnlyList<LedgerEntry> rows);
}

/// <summary>
/// SQLite's fastest plain way in: one connection (WAL, synchronous=NORMAL, as the ledger's writer runs), one
/// prepared INSERT run per row inside one transaction per batch.
/// </summary>
internal sealed class SqliteRawInsert : IRawInsert
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;

    public SqliteRawInsert(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        _connection.Open();
        using (var pragma = _connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
        }

        _insert = _connection.CreateCommand();
        _insert.CommandText = """
            INSERT INTO ledger_entries (entry_id, tenant_id, stream_id, seq, run_id, account_id, type, at, actor, payload, prev_hash, hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);
            """;
        for (var i = 1; i <= 12; i++)
        {
            _insert.Parameters.Add(new SqliteParameter { ParameterName = $"${i}" });
        }

        _insert.Prepare();
    }

    public Task InsertAsync(IReadOnlyList<LedgerEntry> rows)
    {
        using var transaction = _connection.BeginTransaction();
        _insert.Transaction = transaction;
        var p = _insert.Parameters;
        foreach (var e in rows)
        {
            p[0].Value = e.EntryId;
            p[1].Value = e.TenantId;
            p[2].Value = e.StreamId;
            p[3].Value = e.Seq;
            p[4].Value = (object?)e.RunId ?? DBNull.Value;
            p[5].Value = (object?)LedgerStreamIds.AccountIdOf(e.TenantId, e.StreamId) ?? DBNull.Value;
            p[6].Value = e.Type;
            p[7].Value = LedgerHash.FormatTime(e.At);
            p[8].Value = e.Actor;
            p[9].Value = e.Payload;
            p[10].Value = e.PrevHash;
            p[11].Value = e.Hash;
            _insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _insert.Dispose();
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>PostgreSQL's fastest plain way in: one connection, one binary COPY per batch inside its transaction.</summary>
internal sealed class PostgresRawInsert(NpgsqlConnection connection) : IRawInsert
{
    private const string Copy =
        "COPY ledger_entries (entry_id, tenant_id, stream_id, seq, run_id, account_id, type, at, actor, payload, prev_hash, hash) FROM STDIN (FORMAT BINARY)";

    public static async Task<PostgresRawInsert> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return new PostgresRawInsert(connection);
    }

    public async Task InsertAsync(IReadOnlyList<LedgerEntry> rows)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(Copy))
        {
            foreach (var e in rows)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(e.EntryId, NpgsqlDbType.Text);
                await copy.WriteAsync(e.TenantId, NpgsqlDbType.Text);
                await copy.WriteAsync(e.StreamId, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Seq, NpgsqlDbType.Bigint);
                await Nullable(copy, e.RunId);
                await Nullable(copy, LedgerStreamIds.AccountIdOf(e.TenantId, e.StreamId));
                await copy.WriteAsync(e.Type, NpgsqlDbType.Text);
                await copy.WriteAsync(LedgerHash.FormatTime(e.At), NpgsqlDbType.Text);
                await copy.WriteAsync(e.Actor, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Payload, NpgsqlDbType.Text);
                await copy.WriteAsync(e.PrevHash, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Hash, NpgsqlDbType.Text);
            }

            await copy.CompleteAsync();
        }

        await transaction.CommitAsync();
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();

    private static Task Nullable(NpgsqlBinaryImporter copy, string? value) =>
        value is null ? copy.WriteNullAsync() : copy.WriteAsync(value, NpgsqlDbType.Text);
}

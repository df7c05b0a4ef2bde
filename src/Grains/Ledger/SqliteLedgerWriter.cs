using Microsoft.Data.Sqlite;

namespace Autonomy.Ledger;

/// <summary>
/// The one writer connection of a SQLite ledger, used only by the group committer's loop. The connection
/// and its prepared insert live across batches; after an I/O-class failure the connection is dropped and
/// reopened on the next batch, so a store that comes back is used again.
/// </summary>
internal sealed class SqliteLedgerWriter(string path, string connectionString) : ILedgerBatchWriter, IDisposable
{
    private const string InsertSql = """
        INSERT INTO ledger_entries
            (entry_id, tenant_id, stream_id, seq, run_id, account_id, type, at, actor, payload, prev_hash, hash)
        VALUES
            ($entry_id, $tenant_id, $stream_id, $seq, $run_id, $account_id, $type, $at, $actor, $payload, $prev_hash, $hash);
        """;

    private SqliteConnection? _connection;
    private SqliteCommand? _insert;
    private SqliteCommand? _seqTaken;

    public ValueTask WriteAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
    {
        // SQLite does its I/O synchronously anyway; this runs on the committer loop, never on a grain.
        var insert = Open();
        SqliteTransaction? transaction = null;
        LedgerEntry? current = null;
        try
        {
            transaction = insert.Connection!.BeginTransaction();
            insert.Transaction = transaction;
            var parameters = insert.Parameters;
            for (var i = 0; i < entries.Count; i++)
            {
                current = entries[i];
                parameters[0].Value = current.EntryId;
                parameters[1].Value = current.TenantId;
                parameters[2].Value = current.StreamId;
                parameters[3].Value = current.Seq;
                parameters[4].Value = (object?)current.RunId ?? DBNull.Value;
                parameters[5].Value = (object?)LedgerStreamIds.AccountIdOf(current.TenantId, current.StreamId) ?? DBNull.Value;
                parameters[6].Value = current.Type;
                parameters[7].Value = LedgerHash.FormatTime(current.At);
                parameters[8].Value = current.Actor;
                parameters[9].Value = current.Payload;
                parameters[10].Value = current.PrevHash;
                parameters[11].Value = current.Hash;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
            transaction.Dispose();
            return ValueTask.CompletedTask;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteLedgerSchema.ConstraintCode && transaction is not null && current is not null)
        {
            bool taken;
            try
            {
                // Asked inside the transaction, so a seq taken earlier in this same batch counts too.
                taken = SeqTaken(transaction, current);
            }
            finally
            {
                transaction.Dispose();
            }

            if (taken)
            {
                throw new LedgerConflictException(current.StreamId, current.Seq);
            }

            throw new ArgumentException($"The ledger rejected entry '{current.EntryId}': {ex.Message}", nameof(entries), ex);
        }
        catch (SqliteException ex) when (SqliteLedgerSchema.IsUnavailable(ex))
        {
            transaction?.Dispose();
            Close();
            throw new LedgerUnavailableException($"The ledger file '{path}' cannot be written.", ex);
        }
        catch
        {
            transaction?.Dispose();
            throw;
        }
    }

    public void Dispose() => Close();

    private SqliteCommand Open()
    {
        if (_insert is not null)
        {
            return _insert;
        }

        SqliteConnection? connection = null;
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            connection = new SqliteConnection(connectionString);
            connection.Open();
            SqliteLedgerSchema.Apply(connection);
            using (var pragma = connection.CreateCommand())
            {
                // In WAL mode NORMAL keeps every commit across a process crash and skips the fsync per
                // commit; only a power loss can take the last commits since the checkpoint.
                pragma.CommandText = "PRAGMA synchronous=NORMAL;";
                pragma.ExecuteNonQuery();
            }

            var insert = connection.CreateCommand();
            insert.CommandText = InsertSql;
            foreach (var name in (string[])["$entry_id", "$tenant_id", "$stream_id", "$seq", "$run_id", "$account_id", "$type", "$at", "$actor", "$payload", "$prev_hash", "$hash"])
            {
                insert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            insert.Prepare();
            _connection = connection;
            _insert = insert;
            return insert;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            connection?.Dispose();
            throw new LedgerUnavailableException($"The ledger file '{path}' cannot be opened for writing.", ex);
        }
    }

    private bool SeqTaken(SqliteTransaction transaction, LedgerEntry entry)
    {
        if (_seqTaken is null)
        {
            _seqTaken = _connection!.CreateCommand();
            _seqTaken.CommandText = "SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE stream_id = $stream_id AND seq = $seq);";
            _seqTaken.Parameters.Add(new SqliteParameter { ParameterName = "$stream_id" });
            _seqTaken.Parameters.Add(new SqliteParameter { ParameterName = "$seq" });
        }

        _seqTaken.Transaction = transaction;
        _seqTaken.Parameters[0].Value = entry.StreamId;
        _seqTaken.Parameters[1].Value = entry.Seq;
        return Convert.ToInt64(_seqTaken.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    private void Close()
    {
        _seqTaken?.Dispose();
        _insert?.Dispose();
        _connection?.Dispose();
        _seqTaken = null;
        _insert = null;
        _connection = null;
    }
}

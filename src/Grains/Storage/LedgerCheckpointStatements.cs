using System.Data.Common;

namespace Autonomy.Ledger;

/// <summary>
/// The statements every SQL store runs on its <c>ledger_checkpoints</c> and <c>ledger_checkpoint_heads</c> tables,
/// the same text for SQLite and PostgreSQL, and the mapping of their rows; <see cref="SqlLedger"/> opens the
/// connection and runs them.
/// </summary>
internal static class LedgerCheckpointStatements
{
    /// <summary>Recorded heads per upsert statement (five parameters each, well under every store's limit).</summary>
    public const int HeadsPerStatement = 200;

    private const string CheckpointColumns = "checkpoint_id, tenant_id, seq, at, heads, stream_count, merkle_root, prev_hash, key_id, hash, signature";

    /// <summary>The insert of <see cref="ILedger.AppendCheckpointAsync"/>.</summary>
    public static void PrepareCheckpointInsert(DbCommand command, LedgerCheckpoint checkpoint, string? cursor)
    {
        command.CommandText = $"""
            INSERT INTO ledger_checkpoints ({CheckpointColumns}, entry_cursor)
            VALUES (@checkpoint_id, @tenant_id, @seq, @at, @heads, @stream_count, @merkle_root, @prev_hash, @key_id, @hash, @signature, @entry_cursor);
            """;
        LedgerReads.AddParameter(command, "checkpoint_id", checkpoint.CheckpointId);
        LedgerReads.AddParameter(command, "tenant_id", checkpoint.TenantId);
        LedgerReads.AddParameter(command, "seq", checkpoint.Seq);
        LedgerReads.AddParameter(command, "at", LedgerHash.FormatTime(checkpoint.At));
        LedgerReads.AddParameter(command, "heads", LedgerCheckpointJson.Heads(checkpoint.Heads));
        LedgerReads.AddParameter(command, "stream_count", checkpoint.StreamCount);
        LedgerReads.AddParameter(command, "merkle_root", checkpoint.MerkleRoot);
        LedgerReads.AddParameter(command, "prev_hash", checkpoint.PrevHash);
        LedgerReads.AddParameter(command, "key_id", checkpoint.KeyId);
        LedgerReads.AddParameter(command, "hash", checkpoint.Hash);
        LedgerReads.AddParameter(command, "signature", checkpoint.Signature);
        LedgerReads.AddParameter(command, "entry_cursor", (object?)cursor ?? DBNull.Value);
    }

    /// <summary>Whether a tenant's checkpoint seq is taken; a scalar 1 or nothing.</summary>
    public static void PrepareCheckpointTaken(DbCommand command, string tenantId, long seq)
    {
        command.CommandText = "SELECT 1 FROM ledger_checkpoints WHERE tenant_id = @tenant_id AND seq = @seq;";
        LedgerReads.AddParameter(command, "tenant_id", tenantId);
        LedgerReads.AddParameter(command, "seq", seq);
    }

    /// <summary>A tenant's checkpoints in seq order; rows read by <see cref="ReadCheckpoint"/>.</summary>
    public static void PrepareCheckpoints(DbCommand command, string tenantId)
    {
        command.CommandText = $"SELECT {CheckpointColumns} FROM ledger_checkpoints WHERE tenant_id = @tenant_id ORDER BY seq;";
        LedgerReads.AddParameter(command, "tenant_id", tenantId);
    }

    /// <summary>A tenant's last checkpoint, its columns then its entry cursor (column 11, nullable); one row or none.</summary>
    public static void PrepareLastCheckpoint(DbCommand command, string tenantId)
    {
        command.CommandText = $"SELECT {CheckpointColumns}, entry_cursor FROM ledger_checkpoints WHERE tenant_id = @tenant_id ORDER BY seq DESC LIMIT 1;";
        LedgerReads.AddParameter(command, "tenant_id", tenantId);
    }

    /// <summary>
    /// Records heads (at most <see cref="HeadsPerStatement"/>): a stream's row is inserted or moved to the new head.
    /// <c>excluded</c> is the row proposed for insertion, in SQLite and PostgreSQL alike.
    /// </summary>
    public static void PrepareRecordHeads(DbCommand command, string tenantId, IReadOnlyList<LedgerRecordedHead> heads)
    {
        var sql = new System.Text.StringBuilder("INSERT INTO ledger_checkpoint_heads (tenant_id, stream_id, seq, hash, checkpoint_id) VALUES ");
        LedgerReads.AddParameter(command, "tenant_id", tenantId);
        for (var i = 0; i < heads.Count; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append($"(@tenant_id, @s{i}, @q{i}, @h{i}, @c{i})");
            LedgerReads.AddParameter(command, $"s{i}", heads[i].StreamId);
            LedgerReads.AddParameter(command, $"q{i}", heads[i].Seq);
            LedgerReads.AddParameter(command, $"h{i}", heads[i].Hash);
            LedgerReads.AddParameter(command, $"c{i}", heads[i].CheckpointId);
        }

        command.CommandText = sql.Append(" ON CONFLICT (tenant_id, stream_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, checkpoint_id = excluded.checkpoint_id;").ToString();
    }

    /// <summary>Removes every recorded head of a tenant (before a rebuild from its chain).</summary>
    public static void PrepareForgetHeads(DbCommand command, string tenantId)
    {
        command.CommandText = "DELETE FROM ledger_checkpoint_heads WHERE tenant_id = @tenant_id;";
        LedgerReads.AddParameter(command, "tenant_id", tenantId);
    }

    /// <summary>
    /// A tenant's recorded heads in canonical stream order: the byte order of their UTF-8 text, which is SQLite's
    /// BINARY collation and the PostgreSQL column's <c>COLLATE "C"</c>. Rows: stream_id, seq, hash, checkpoint_id.
    /// </summary>
    public static void PrepareRecordedHeads(DbCommand command, string tenantId)
    {
        command.CommandText = "SELECT stream_id, seq, hash, checkpoint_id FROM ledger_checkpoint_heads WHERE tenant_id = @tenant_id ORDER BY stream_id;";
        LedgerReads.AddParameter(command, "tenant_id", tenantId);
    }

    /// <summary>The current row of <see cref="PrepareCheckpoints"/>; a row whose heads do not parse gets none (and fails verification).</summary>
    public static LedgerCheckpoint ReadCheckpoint(DbDataReader reader) => new(
        CheckpointId: reader.GetString(0),
        TenantId: reader.GetString(1),
        Seq: reader.GetInt64(2),
        At: LedgerHash.ParseTime(reader.GetString(3)),
        Heads: ParseHeadsOrNone(reader.GetString(4)),
        StreamCount: reader.GetInt64(5),
        MerkleRoot: reader.GetString(6),
        PrevHash: reader.GetString(7),
        KeyId: reader.GetString(8),
        Hash: reader.GetString(9),
        Signature: reader.GetString(10));

    // Heads that do not parse are read as none: the checkpoint's hash then fails to match, and verify says so.
    private static System.Collections.Immutable.ImmutableArray<LedgerCheckpointHead> ParseHeadsOrNone(string json)
    {
        try
        {
            return LedgerCheckpointJson.ParseHeads(json);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}

using System.Data.Common;
using System.Text;

namespace Autonomy.Ledger;

/// <summary>
/// The statements every SQL store runs on its <c>ledger_entries</c> table (<see cref="LedgerCheckpointStatements"/> has those of <c>ledger_checkpoints</c>), written
/// once over ADO.NET: the same text for SQLite and PostgreSQL (with <c>@name</c> parameters both providers
/// accept) except where commit order needs PostgreSQL's transaction ids (paging, changed heads) and its byte
/// order of stream ids (the verifier's walk), and the mapping of their rows. <see cref="SqlLedger"/> opens the connection, runs the command and maps
/// failures through its dialect; this class fills the command before and reads the rows after.
/// </summary>
internal static class LedgerReads
{
    private const string Columns = "entry_id, tenant_id, stream_id, seq, run_id, type, at, actor, payload, prev_hash, hash";

    /// <summary>The statement of <see cref="ILedger.ReadHeadAsync"/>; its rows are read by <see cref="ReadHeadAsync"/>.</summary>
    public static void PrepareHead(DbCommand command, string streamId)
    {
        command.CommandText = "SELECT seq, hash FROM ledger_entries WHERE stream_id = @stream_id ORDER BY seq DESC LIMIT 1;";
        AddParameter(command, "stream_id", streamId);
    }

    /// <summary>The statement of <see cref="ILedger.ReadStreamAsync"/>; its rows are read by <see cref="ReadEntriesAsync"/>.</summary>
    public static void PrepareStream(DbCommand command, string streamId, long afterSeq, int limit)
    {
        command.CommandText = $"SELECT {Columns} FROM ledger_entries WHERE stream_id = @stream_id AND seq > @after ORDER BY seq LIMIT @limit;";
        AddParameter(command, "stream_id", streamId);
        AddParameter(command, "after", afterSeq);
        AddParameter(command, "limit", LedgerPaging.PageSize(limit));
    }

    /// <summary>
    /// The statement of a <see cref="ILedger.QueryAsync"/> page starting after <paramref name="after"/>
    /// (the decoded cursor, which the store checks before it connects); its rows are read by
    /// <see cref="ReadPageAsync"/> with the returned page size. Commit-ordered (PostgreSQL): rows in the order
    /// (transaction id, position), and only of transactions older than the oldest one still open, so an entry
    /// that commits later can never land behind a page already served.
    /// </summary>
    public static int PreparePage(DbCommand command, LedgerQuery query, LedgerCursor after, bool commitOrdered)
    {
        var limit = LedgerPaging.PageSize(query.Limit);
        // SQLite keeps no index by account (deploy/sql/sqlite/ledger.sql): an account's page is its stream, read in
        // seq order through UNIQUE (stream_id, seq). Within one stream seq order is position order (a stream's
        // appends are sequential), so the page and its cursor are the same. The tenant is still compared (ids are
        // only unique within a tenant); the unary "+" keeps the planner on the stream's index rather than the tenant's.
        var byStream = !commitOrdered && query.AccountId is not null;
        var sql = new StringBuilder(commitOrdered
            ? $"SELECT position, tx::text, {Columns} FROM ledger_entries WHERE tenant_id = @tenant_id AND {CommitOrderAfter}"
            : byStream
                ? $"SELECT position, NULL, {Columns} FROM ledger_entries WHERE stream_id = @stream_id AND +tenant_id = @tenant_id AND +position > @after"
                : $"SELECT position, NULL, {Columns} FROM ledger_entries WHERE tenant_id = @tenant_id AND position > @after");
        AddParameter(command, "tenant_id", query.TenantId);
        AddCursor(command, after, commitOrdered);
        if (byStream)
        {
            AddParameter(command, "stream_id", LedgerStreamIds.ForAccount(query.TenantId, query.AccountId!));
        }
        else if (query.AccountId is not null)
        {
            sql.Append(" AND account_id = @account_id");
            AddParameter(command, "account_id", query.AccountId);
        }

        if (query.RunId is not null)
        {
            sql.Append(" AND run_id = @run_id");
            AddParameter(command, "run_id", query.RunId);
        }

        if (query.Type is not null)
        {
            sql.Append(" AND type = @type");
            AddParameter(command, "type", query.Type);
        }

        AppendTimeFilter(sql, command, query.From, query.To);
        // One row more than the page tells whether a next page exists without a count.
        sql.Append(commitOrdered ? " ORDER BY tx, position LIMIT @take;" : byStream ? " ORDER BY seq LIMIT @take;" : " ORDER BY position LIMIT @take;");
        AddParameter(command, "take", limit + 1);
        command.CommandText = sql.ToString();
        return limit;
    }

    /// <summary>
    /// PostgreSQL's commit-ordered "after the cursor": (tx, position) above it, and tx below the xmin of this
    /// statement's snapshot (every transaction below it has ended, so no row of one can still appear).
    /// </summary>
    private const string CommitOrderAfter =
        "(tx, position) > (CAST(@after_tx AS xid8), @after) AND tx < pg_snapshot_xmin(pg_current_snapshot())";

    /// <summary>PostgreSQL: a row (any) when the tenant has committed entries after the cursor that the horizon still holds back.</summary>
    public static void PrepareWithheld(DbCommand command, string tenantId, LedgerCursor after)
    {
        command.CommandText = """
            SELECT 1 FROM ledger_entries WHERE tenant_id = @tenant_id AND (tx, position) > (CAST(@after_tx AS xid8), @after)
                AND tx >= pg_snapshot_xmin(pg_current_snapshot()) LIMIT 1;
            """;
        AddParameter(command, "tenant_id", tenantId);
        AddCursor(command, after, commitOrdered: true);
    }

    /// <summary>
    /// The statement of <see cref="ILedger.ReadChangedHeadsAsync"/>: per stream with entries after the cursor, its
    /// highest seq and that entry's hash, each row also carrying the cursor after the newest entry read
    /// (position, then transaction id as text or NULL). One statement: one snapshot.
    /// </summary>
    public static void PrepareChangedHeads(DbCommand command, string tenantId, LedgerCursor after, bool commitOrdered)
    {
        command.CommandText = commitOrdered
            ? $"""
              WITH n AS MATERIALIZED (SELECT stream_id, seq, tx, position FROM ledger_entries WHERE tenant_id = @tenant_id AND {CommitOrderAfter}),
                   c AS (SELECT tx, position FROM n ORDER BY tx DESC, position DESC LIMIT 1),
                   m AS (SELECT stream_id, MAX(seq) AS s FROM n GROUP BY stream_id)
              SELECT m.stream_id, m.s, e.hash, (SELECT position FROM c), (SELECT tx::text FROM c)
              FROM m JOIN ledger_entries e ON e.stream_id = m.stream_id AND e.seq = m.s;
              """
            : """
              WITH n AS (SELECT stream_id, seq, position FROM ledger_entries WHERE tenant_id = @tenant_id AND position > @after),
                   m AS (SELECT stream_id, MAX(seq) AS s FROM n GROUP BY stream_id)
              SELECT m.stream_id, m.s, e.hash, (SELECT MAX(position) FROM n), NULL
              FROM m JOIN ledger_entries e ON e.stream_id = m.stream_id AND e.seq = m.s;
              """;
        AddParameter(command, "tenant_id", tenantId);
        AddCursor(command, after, commitOrdered);
    }

    /// <summary>The rows of <see cref="PrepareChangedHeads"/>.</summary>
    public static async Task<LedgerHeadChanges> ReadChangedHeadsAsync(DbDataReader reader, LedgerCursor after, bool commitOrdered, CancellationToken cancellationToken)
    {
        var heads = new List<LedgerCheckpointHead>();
        var cursor = after;
        while (await reader.ReadAsync(cancellationToken))
        {
            heads.Add(new LedgerCheckpointHead(reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
            cursor = new LedgerCursor(reader.IsDBNull(4) ? 0 : ulong.Parse(reader.GetString(4), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt64(3));
        }

        return new LedgerHeadChanges(heads, cursor == LedgerCursor.Start ? null : LedgerPaging.EncodeCursor(cursor, commitOrdered));
    }

    /// <summary>The statement of <see cref="ILedger.ReadHashesAtAsync"/> for at most <see cref="StreamsPerTakenLookup"/> pairs; rows (stream_id, seq, hash).</summary>
    public static void PrepareHashesAt(DbCommand command, IReadOnlyList<(string StreamId, long Seq)> at)
    {
        var sql = new StringBuilder("SELECT stream_id, seq, hash FROM ledger_entries WHERE ");
        for (var i = 0; i < at.Count; i++)
        {
            sql.Append(i == 0 ? "" : " OR ").Append($"(stream_id = @s{i} AND seq = @q{i})");
            AddParameter(command, $"s{i}", at[i].StreamId);
            AddParameter(command, $"q{i}", at[i].Seq);
        }

        command.CommandText = sql.Append(';').ToString();
    }

    /// <summary>The statement of <see cref="ILedger.ExportAsync"/>; its rows are read by <see cref="ReadEntry"/> from column 0.</summary>
    public static void PrepareExport(DbCommand command, string tenantId, DateTimeOffset? from, DateTimeOffset? to)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM ledger_entries WHERE tenant_id = @tenant_id");
        AddParameter(command, "tenant_id", tenantId);
        AppendTimeFilter(sql, command, from, to);
        sql.Append(" ORDER BY position;");
        command.CommandText = sql.ToString();
    }

    /// <summary>
    /// The statement the verifier walks: a tenant's entries grouped by stream and in seq order; its rows are
    /// read by <see cref="ReadStoredEntry"/>.
    /// </summary>
    /// <param name="byteOrder">PostgreSQL: stream ids ordered by their bytes (COLLATE "C"), as SQLite's BINARY and an offline verifier order them.</param>
    public static void PrepareChains(DbCommand command, string tenantId, bool byteOrder)
    {
        command.CommandText = byteOrder
            ? $"SELECT {Columns} FROM ledger_entries WHERE tenant_id = @tenant_id ORDER BY stream_id COLLATE \"C\", seq;"
            : $"SELECT {Columns} FROM ledger_entries WHERE tenant_id = @tenant_id ORDER BY stream_id, seq;";
        AddParameter(command, "tenant_id", tenantId);
    }

    /// <summary>
    /// How many streams one <see cref="PrepareTaken"/> statement asks about: few enough for SQLite's expression
    /// depth and both providers' parameter limits, so a full batch takes a handful of statements.
    /// </summary>
    public const int StreamsPerTakenLookup = 200;

    /// <summary>
    /// The statement that finds which of a batch's (stream, seq) are stored, given each stream's seq range in
    /// the batch (at most <see cref="StreamsPerTakenLookup"/> streams); its rows are (stream_id, seq).
    /// </summary>
    public static void PrepareTaken(DbCommand command, IReadOnlyList<KeyValuePair<string, (long First, long Last)>> ranges)
    {
        var sql = new StringBuilder("SELECT stream_id, seq FROM ledger_entries WHERE ");
        for (var i = 0; i < ranges.Count; i++)
        {
            sql.Append(i == 0 ? "" : " OR ").Append($"(stream_id = @s{i} AND seq >= @f{i} AND seq <= @l{i})");
            AddParameter(command, $"s{i}", ranges[i].Key);
            AddParameter(command, $"f{i}", ranges[i].Value.First);
            AddParameter(command, $"l{i}", ranges[i].Value.Last);
        }

        command.CommandText = sql.Append(';').ToString();
    }

    /// <summary>The head of the stream from the rows of <see cref="PrepareHead"/>: null when it has no entry.</summary>
    public static async Task<LedgerHead?> ReadHeadAsync(DbDataReader reader, string streamId, CancellationToken cancellationToken) =>
        await reader.ReadAsync(cancellationToken)
            ? new LedgerHead(streamId, reader.GetInt64(0), reader.GetString(1))
            : null;

    /// <summary>Every row, each an entry from column 0.</summary>
    public static async Task<IReadOnlyList<LedgerEntry>> ReadEntriesAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var entries = new List<LedgerEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(ReadEntry(reader, 0));
        }

        return entries;
    }

    /// <summary>
    /// A page from the rows of <see cref="PreparePage"/>: up to <paramref name="limit"/> entries within
    /// <see cref="LedgerPaging.MaxPageBytes"/> (the first entry always, so a page always moves on), and the cursor of
    /// the next page when one row more came back or the next entry would not fit.
    /// </summary>
    public static async Task<LedgerPage> ReadPageAsync(DbDataReader reader, int limit, bool commitOrdered, CancellationToken cancellationToken)
    {
        var items = new List<LedgerEntry>(Math.Min(limit, 64));
        var last = LedgerCursor.Start;
        var more = false;
        long bytes = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (items.Count == limit)
            {
                more = true;
                break;
            }

            var entry = ReadEntry(reader, 2);
            var size = LedgerPaging.WireBytes(entry);
            if (items.Count > 0 && bytes + size > LedgerPaging.MaxPageBytes)
            {
                more = true;
                break;
            }

            bytes += size;
            last = new LedgerCursor(reader.IsDBNull(1) ? 0 : ulong.Parse(reader.GetString(1), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt64(0));
            items.Add(entry);
        }

        var cursor = items.Count == 0 ? null : LedgerPaging.EncodeCursor(last, commitOrdered);
        return new LedgerPage(items, more ? cursor : null) { LastCursor = cursor };
    }

    /// <summary>The entry whose <see cref="Columns"/> start at column <paramref name="first"/> of the current row.</summary>
    public static LedgerEntry ReadEntry(DbDataReader reader, int first) => new(
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

    /// <summary>The current row of <see cref="PrepareChains"/> as stored, its time as the text that was hashed.</summary>
    public static StoredLedgerEntry ReadStoredEntry(DbDataReader reader) => new(
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

    private static void AppendTimeFilter(StringBuilder sql, DbCommand command, DateTimeOffset? from, DateTimeOffset? to)
    {
        // Stored times share one fixed UTC format compared byte-wise, so comparing text compares instants.
        if (from is { } start)
        {
            sql.Append(" AND at >= @from");
            AddParameter(command, "from", LedgerHash.FormatTime(start));
        }

        if (to is { } end)
        {
            sql.Append(" AND at < @to");
            AddParameter(command, "to", LedgerHash.FormatTime(end));
        }
    }

    private static void AddCursor(DbCommand command, LedgerCursor after, bool commitOrdered)
    {
        AddParameter(command, "after", after.Position);
        if (commitOrdered)
        {
            AddParameter(command, "after_tx", after.Tx.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    internal static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

using Autonomy.Hosting;
using Autonomy.Ledger;
using Autonomy.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace Autonomy.Tests.Ledger;

/// <summary>The ledger rules on PostgreSQL; each test has a database of its own with the schema applied.</summary>
public sealed class PostgresLedgerTests(ITestOutputHelper output) : LedgerStoreTests<PostgresLedger>(output)
{
    private PostgresDatabase _database = null!;

    public override async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        await PostgresSchema.ApplyAsync(_database.ConnectionString);
    }

    public override async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task MissingSchemaSurfacesLedgerUnavailableNamingTheScript()
    {
        await using var empty = await PostgresDatabase.CreateAsync();
        await using var ledger = new PostgresLedger(empty.ConnectionString, Time);

        var append = await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.AppendAsync([Chained("t1", "account/t1/a1", 1, LedgerHash.Genesis, "x")]));
        var read = await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ReadHeadAsync("account/t1/a1"));
        Assert.All([append, read], e => Assert.Contains("ledger.sql", e.Message, StringComparison.Ordinal));
    }

    protected override PostgresLedger Open() => new(_database.ConnectionString, Time);

    protected override PostgresLedger Open(LedgerCheckpointKeyring keys) => new(_database.ConnectionString, Time) { CheckpointKeys = keys };

    // Silos write concurrently, each through its own ledger: positions are taken at insert, not at commit.
    protected override bool OneWriterPerProcess => false;

    [Fact]
    public async Task NoPageIsServedPastAnOpenTransaction()
    {
        await using var ledger = Open();
        var first = Chained("t1", "account/t1/a1", 1, LedgerHash.Genesis, "open");
        await using var open = new NpgsqlConnection(_database.ConnectionString);
        await open.OpenAsync();
        await using var transaction = await open.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO ledger_entries (entry_id, tenant_id, stream_id, seq, run_id, account_id, type, at, actor, payload, prev_hash, hash) " +
            "VALUES (@id, 't1', @stream, 1, NULL, 'a1', @type, @at, @actor, @payload, @prev, @hash);", open, transaction))
        {
            insert.Parameters.AddWithValue("id", first.EntryId);
            insert.Parameters.AddWithValue("stream", first.StreamId);
            insert.Parameters.AddWithValue("type", first.Type);
            insert.Parameters.AddWithValue("at", LedgerHash.FormatTime(first.At));
            insert.Parameters.AddWithValue("actor", first.Actor);
            insert.Parameters.AddWithValue("payload", first.Payload);
            insert.Parameters.AddWithValue("prev", first.PrevHash);
            insert.Parameters.AddWithValue("hash", first.Hash);
            await insert.ExecuteNonQueryAsync();
        }

        // A later transaction commits first, at a higher position: served now, it would put the open one behind the cursor.
        var second = Chained("t1", "account/t1/a2", 1, LedgerHash.Genesis, "later");
        await ledger.AppendAsync([second]);
        var withheld = await ledger.QueryAsync(new LedgerQuery("t1"));
        Assert.Empty(withheld.Items);
        Assert.Null(withheld.LastCursor);
        Assert.Empty((await ledger.ReadChangedHeadsAsync("t1", null)).Heads);

        await transaction.CommitAsync();
        var page = await Eventually.UntilAsync(() => ledger.QueryAsync(new LedgerQuery("t1")), p => p.Items.Count == 2, Horizon, "both entries to be served once the open transaction committed");
        Assert.Equal([first.EntryId, second.EntryId], page.Items.Select(e => e.EntryId));
        Assert.Empty((await ledger.QueryAsync(new LedgerQuery("t1", Cursor: page.LastCursor))).Items);
    }

    [Fact]
    public async Task AVersionOneDatabaseUpgradesInPlaceAndKeepsVerifying()
    {
        await using var old = await PostgresDatabase.CreateAsync();
        // Version 1 of the ledger schema, as deployed before checkpoints (no tx column, no checkpoints table).
        await using (var connection = new NpgsqlConnection(old.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("""
                CREATE TABLE autonomy_schema (name text NOT NULL PRIMARY KEY, version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE ledger_entries (
                    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, entry_id text NOT NULL UNIQUE, tenant_id text NOT NULL,
                    stream_id text NOT NULL, seq bigint NOT NULL CHECK (seq >= 1), run_id text, account_id text, type text NOT NULL,
                    at text COLLATE "C" NOT NULL, actor text NOT NULL, payload text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL,
                    CONSTRAINT ledger_entries_stream_seq UNIQUE (stream_id, seq));
                CREATE INDEX ix_ledger_entries_tenant_position ON ledger_entries (tenant_id, position);
                CREATE INDEX ix_ledger_entries_tenant_run ON ledger_entries (tenant_id, run_id, position);
                CREATE INDEX ix_ledger_entries_tenant_account ON ledger_entries (tenant_id, account_id, position);
                INSERT INTO autonomy_schema (name, version) VALUES ('ledger', 1);
                """, connection);
            await create.ExecuteNonQueryAsync();
        }

        var before = new List<LedgerEntry>();
        await using (var v1 = new NpgsqlConnection(old.ConnectionString))
        {
            await v1.OpenAsync();
            var prev = LedgerHash.Genesis;
            for (var seq = 1; seq <= 3; seq++)
            {
                var entry = Chained("t1", "account/t1/a1", seq, prev, $"v1-{seq}");
                prev = entry.Hash;
                before.Add(entry);
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO ledger_entries (entry_id, tenant_id, stream_id, seq, account_id, type, at, actor, payload, prev_hash, hash) " +
                    "VALUES (@id, 't1', @stream, @seq, 'a1', @type, @at, @actor, @payload, @prev, @hash);", v1);
                insert.Parameters.AddWithValue("id", entry.EntryId);
                insert.Parameters.AddWithValue("stream", entry.StreamId);
                insert.Parameters.AddWithValue("seq", (long)seq);
                insert.Parameters.AddWithValue("type", entry.Type);
                insert.Parameters.AddWithValue("at", LedgerHash.FormatTime(entry.At));
                insert.Parameters.AddWithValue("actor", entry.Actor);
                insert.Parameters.AddWithValue("payload", entry.Payload);
                insert.Parameters.AddWithValue("prev", entry.PrevHash);
                insert.Parameters.AddWithValue("hash", entry.Hash);
                await insert.ExecuteNonQueryAsync();
            }
        }

        await PostgresSchema.ApplyAsync(old.ConnectionString);
        await using var ledger = new PostgresLedger(old.ConnectionString, Time);
        var legacyCursor = LedgerPaging.EncodeCursor(0);
        Assert.Equal(before.Select(e => e.EntryId), (await Eventually.UntilAsync(() => ledger.QueryAsync(new LedgerQuery("t1", Cursor: legacyCursor)), p => p.Items.Count == 3, Horizon, "the version 1 entries after the legacy cursor")).Items.Select(e => e.EntryId));
        await AppendManyAsync(ledger, "t1", "account/t1/a1", 2);
        Assert.Equal((true, 5L), ((await ledger.VerifyAsync("t1")).Ok, (await ledger.VerifyAsync("t1")).Entries));
        Assert.Equal(5, (await Eventually.UntilAsync(() => PageAllAsync(ledger, new LedgerQuery("t1", Limit: 2)), l => l.Count == 5, Horizon, "all five entries to be paged")).Count);
    }

    // Port 1 on the loopback: nothing listens, so the connection is refused at once.
    protected override PostgresLedger OpenUnreachable() =>
        new(new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Port = 1, Timeout = 5 }.ConnectionString, Time);

    private protected override LedgerGroupCommitter CommitterOf(PostgresLedger ledger) => ledger.Committer;

    protected override async Task<int> ExecuteRawAsync(string sql, string entryId, bool dropGuards)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(dropGuards ? "ALTER TABLE ledger_entries DISABLE TRIGGER USER; ALTER TABLE ledger_checkpoints DISABLE TRIGGER USER; " + sql : sql, connection);
        command.Parameters.AddWithValue("id", entryId);
        return await command.ExecuteNonQueryAsync();
    }
}

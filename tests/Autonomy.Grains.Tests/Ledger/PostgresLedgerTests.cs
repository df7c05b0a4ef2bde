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
    public async Task ExportAndVerifyReadOnAPoolOfTheirOwnNeverTakingTheWritersConnections()
    {
        // The ledger's pool holds one connection, which the writer keeps: a long read taken from it would wait for it
        // until the 2 s Timeout and fail.
        var oneConnection = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { MaxPoolSize = 1, Timeout = 2 }.ConnectionString;
        await using var ledger = new PostgresLedger(oneConnection, Time);
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 3);

        await using (var export = ledger.ExportAsync("t1", null, null).GetAsyncEnumerator())
        {
            // Mid-export, holding its connection, a verification runs beside it.
            Assert.True(await export.MoveNextAsync());
            Assert.Equal(entries[0].EntryId, export.Current.EntryId);
            var verified = await ledger.VerifyAsync("t1");
            Assert.True(verified.Ok);
            Assert.Equal(3, verified.Entries);

            var byApplication = await ConnectionsByApplicationAsync();
            var seen = string.Join(", ", byApplication.Select(a => $"{a.Key}: {a.Value}"));
            Assert.True(byApplication.GetValueOrDefault("autonomy-ledger") == 1, seen);
            Assert.True(byApplication.GetValueOrDefault("autonomy-ledger-long-reads") is >= 1 and <= 4, seen);
        }

        // The writer's connection was never given up: appends go on.
        await ledger.AppendAsync([Chained("t1", "account/t1/a2", 1, LedgerHash.Genesis, "after")]);
    }

    private async Task<Dictionary<string, int>> ConnectionsByApplicationAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT application_name, count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1;", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<string, int>();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }

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

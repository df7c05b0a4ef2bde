using Autonomy.Ledger;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Autonomy.Tests.Ledger;

public sealed class SqliteLedgerTests(ITestOutputHelper output) : LedgerStoreTests<SqliteLedger>(output)
{
    private readonly TempDirectory _directory = new();

    private string Path => _directory.File("ledger.db");

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    protected override SqliteLedger Open() => new(Path, Time);

    protected override SqliteLedger Open(LedgerCheckpointKeyring keys) => new(Path, Time) { CheckpointKeys = keys };

    // One process, one writer: concurrent appenders share the ledger's group committer.
    protected override bool OneWriterPerProcess => true;

    protected override SqliteLedger OpenUnreachable()
    {
        // A regular file where the ledger's directory should be: no user, root included, can create it.
        var blocker = _directory.File("not-a-directory");
        File.WriteAllText(blocker, "x");
        return new SqliteLedger(System.IO.Path.Combine(blocker, "ledger.db"), Time);
    }

    private protected override LedgerGroupCommitter CommitterOf(SqliteLedger ledger) => ledger.Committer;

    protected override async Task<int> ExecuteRawAsync(string sql, string entryId, bool dropGuards)
    {
        await using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = dropGuards
            ? "DROP TRIGGER IF EXISTS ledger_entries_no_update; DROP TRIGGER IF EXISTS ledger_entries_no_delete; "
              + "DROP TRIGGER IF EXISTS ledger_checkpoints_no_update; DROP TRIGGER IF EXISTS ledger_checkpoints_no_delete; " + sql
            : sql;
        command.Parameters.AddWithValue("@id", entryId);
        return await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task AnAccountsPageReadsItsStreamThroughTheStreamIndexAndNoAccountIndexIsKept()
    {
        // A file from before: the per-account index it had is dropped when the ledger opens it.
        await using (var ledger = Open())
        {
            await AppendManyAsync(ledger, "t1", LedgerStreamIds.ForAccount("t1", "a1"), 3);
        }

        await using (var connection = new SqliteConnection($"Data Source={Path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = "CREATE INDEX ix_ledger_entries_tenant_account ON ledger_entries (tenant_id, account_id, position);";
            await create.ExecuteNonQueryAsync();
        }

        await using (var ledger = Open())
        {
            Assert.Equal(3, (await ledger.QueryAsync(new LedgerQuery("t1", AccountId: "a1"))).Items.Count);
        }

        await using var check = new SqliteConnection($"Data Source={Path};Pooling=False");
        await check.OpenAsync();
        await using var indexes = check.CreateCommand();
        indexes.CommandText = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger_entries';";
        var names = new List<string>();
        await using (var reader = await indexes.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        Assert.DoesNotContain("ix_ledger_entries_tenant_account", names);

        // Every filter an account's page can carry: the plan searches the stream's index by stream_id, nothing else.
        await using var plan = check.CreateCommand();
        LedgerReads.PreparePage(plan, new LedgerQuery("t1", AccountId: "a1", RunId: "r", Type: "STEP", From: Start, To: Start.AddDays(1)), new LedgerCursor(0, 2), commitOrdered: false);
        plan.CommandText = "EXPLAIN QUERY PLAN " + plan.CommandText;
        var steps = new List<string>();
        await using (var reader = await plan.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                steps.Add(reader.GetString(3));
            }
        }

        var step = Assert.Single(steps);
        Assert.Contains("USING INDEX sqlite_autoindex_ledger_entries_2 (stream_id=?)", step);
    }

    [Fact]
    public async Task ALedgerFileFromBeforeCheckpointsOpensKeepsVerifyingAndTakesCheckpoints()
    {
        // The ledger file as written before checkpoints: entries only, no checkpoint table.
        await using (var connection = new SqliteConnection($"Data Source={Path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = """
                CREATE TABLE ledger_entries (
                    position INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL UNIQUE, tenant_id TEXT NOT NULL, stream_id TEXT NOT NULL,
                    seq INTEGER NOT NULL CHECK (seq >= 1), run_id TEXT, account_id TEXT, type TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,
                    payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (stream_id, seq));
                """;
            await create.ExecuteNonQueryAsync();
            var prev = LedgerHash.Genesis;
            for (var seq = 1; seq <= 3; seq++)
            {
                var entry = Chained("t1", "account/t1/a1", seq, prev, $"old-{seq}");
                prev = entry.Hash;
                await using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO ledger_entries (entry_id, tenant_id, stream_id, seq, account_id, type, at, actor, payload, prev_hash, hash) VALUES (@i, 't1', @s, @q, 'a1', @t, @at, @a, @p, @prev, @h);";
                insert.Parameters.AddWithValue("@i", entry.EntryId);
                insert.Parameters.AddWithValue("@s", entry.StreamId);
                insert.Parameters.AddWithValue("@q", seq);
                insert.Parameters.AddWithValue("@t", entry.Type);
                insert.Parameters.AddWithValue("@at", LedgerHash.FormatTime(entry.At));
                insert.Parameters.AddWithValue("@a", entry.Actor);
                insert.Parameters.AddWithValue("@p", entry.Payload);
                insert.Parameters.AddWithValue("@prev", entry.PrevHash);
                insert.Parameters.AddWithValue("@h", entry.Hash);
                await insert.ExecuteNonQueryAsync();
            }
        }

        var keys = new LedgerCheckpointKeyring([LedgerCheckpointEcdsaKey.Generate()]);
        await using var ledger = Open(keys);
        Assert.Equal((true, 3L), ((await ledger.VerifyAsync("t1")).Ok, (await ledger.VerifyAsync("t1")).Entries));
        Assert.NotNull((await new LedgerCheckpointWriter(ledger, keys, Time, "t1").WriteAsync(null)).Written);
        Assert.Equal((true, 3L, 1L), ((await ledger.VerifyAsync("t1")).Ok, (await ledger.VerifyAsync("t1")).CheckpointedEntries, (await ledger.VerifyAsync("t1")).Checkpoints));
    }

    [Fact]
    public async Task CheckpointsBesideTheWriterKeepTheWalBoundedAndEveryAcknowledgedEntryInTheFile()
    {
        // One entry per transaction, ~5 WAL pages each: 2,000 of them would make a WAL of ~10,000 pages if nothing
        // checkpointed; the writer's own checkpoint past SqliteWalCheckpointer.WriterPages keeps it near that bound.
        const int Appends = 2000;
        await using (var ledger = Open())
        {
            var writer = new LedgerStream(ledger, Time, "t1", "account/t1/a1");
            for (var i = 0; i < Appends; i++)
            {
                await writer.AppendAsync([new LedgerDraft("STEP", null, "system", new { n = i })]);
            }

            const long FrameBytes = 4096 + 24;
            Assert.InRange(new FileInfo(Path + "-wal").Length, 0, (SqliteWalCheckpointer.WriterPages + 1000) * FrameBytes);

            // What a crash leaves: the file as another process opens it while the ledger is still open.
            await using var other = new SqliteConnection($"Data Source={Path};Pooling=False");
            await other.OpenAsync();
            await using var count = other.CreateCommand();
            count.CommandText = "SELECT count(*), max(seq) FROM ledger_entries WHERE stream_id = 'account/t1/a1';";
            await using var reader = await count.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((Appends, (long)Appends), (reader.GetInt32(0), reader.GetInt64(1)));
        }

        await using var reopened = Open();
        Assert.Equal((long)Appends, (await reopened.ReadHeadAsync("account/t1/a1"))?.Seq);
    }

    [Fact]
    public async Task TheCheckpointHookInstallsOnAWritersConnection()
    {
        // Otherwise the writer silently keeps SQLite's checkpoints inside its commits.
        await using (var ledger = Open())
        {
            await ledger.InitializeAsync();
        }

        using var checkpointer = new SqliteWalCheckpointer(Path);
        await using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
        await connection.OpenAsync();
        Assert.True(checkpointer.Attach(connection));
    }
}

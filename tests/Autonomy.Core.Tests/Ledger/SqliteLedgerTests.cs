using Autonomy.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Autonomy.Tests.Ledger;

public sealed class SqliteLedgerTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    [Fact]
    public void SchemaConstantMatchesTheDeployFile()
    {
        // The build copies deploy/sql next to the tests; the repository copy is the fallback.
        var copied = Path.Combine(AppContext.BaseDirectory, "sql", "sqlite", "ledger.sql");
        var path = File.Exists(copied) ? copied : Path.Combine(RepositoryRoot(), "deploy", "sql", "sqlite", "ledger.sql");
        Assert.Equal(SqliteLedgerSchema.Ddl, File.ReadAllText(path));
    }

    [Fact]
    public async Task VerifyNamesTheEntryWhosePayloadWasTampered()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        await using var ledger = new SqliteLedger(path, _time);
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 5);
        await AppendManyAsync(ledger, "t1", "account/t1/a2", 3);
        Assert.Equal(new LedgerVerification(true, 8, null, null), await ledger.VerifyAsync("t1"));

        await ExecuteRawAsync(path, "UPDATE ledger_entries SET payload = '{\"n\":999}' WHERE entry_id = $id;", entries[2].EntryId);

        var result = await ledger.VerifyAsync("t1");
        Assert.False(result.Ok);
        Assert.Equal(entries[2].EntryId, result.FirstBrokenEntryId);
        Assert.Equal("hash mismatch", result.Problem);
    }

    [Fact]
    public async Task VerifyReportsADeletedMiddleEntry()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        await using var ledger = new SqliteLedger(path, _time);
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 5);

        await ExecuteRawAsync(path, "DELETE FROM ledger_entries WHERE entry_id = $id;", entries[2].EntryId);

        var result = await ledger.VerifyAsync("t1");
        Assert.False(result.Ok);
        Assert.Equal(entries[3].EntryId, result.FirstBrokenEntryId);
        Assert.Equal("sequence gap", result.Problem);
    }

    [Fact]
    public async Task VerifyReportsARelinkedChain()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        await using var ledger = new SqliteLedger(path, _time);
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 3);
        // A forger rewrites entry 2 with a valid hash of its own; entry 3 still points at the original.
        var forged = entries[1] with { Payload = "{\"n\":-1}" };
        var forgedHash = LedgerHash.Compute(forged.EntryId, forged.TenantId, forged.StreamId, forged.Seq, forged.RunId, forged.Type, forged.At, forged.Actor, forged.Payload, forged.PrevHash);
        await ExecuteRawAsync(path, $"UPDATE ledger_entries SET payload = '{forged.Payload}', hash = '{forgedHash}' WHERE entry_id = $id;", forged.EntryId);

        var result = await ledger.VerifyAsync("t1");
        Assert.Equal((false, entries[2].EntryId, "chain broken"), (result.Ok, result.FirstBrokenEntryId, result.Problem));
    }

    [Fact]
    public async Task StoreRefusesUpdatesThroughItsOwnSchema()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        await using var ledger = new SqliteLedger(path, _time);
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 1);

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE ledger_entries SET payload = '{{}}' WHERE entry_id = '{entries[0].EntryId}';";
        await Assert.ThrowsAsync<SqliteException>(() => command.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task DuplicateSeqFailsOnlyItsCallerInASharedBatch()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteLedger(dir.File("ledger.db"), _time);
        var taken = await AppendManyAsync(ledger, "t1", "account/t1/a1", 1);
        var duplicate = Chained("t1", "account/t1/a1", 1, LedgerHash.Genesis, "dup");
        var others = Enumerable.Range(0, 4).Select(i => Chained("t1", $"account/t1/b{i}", 1, LedgerHash.Genesis, "ok")).ToList();

        Task[] appends;
        using (ledger.Committer.Hold())
        {
            appends =
            [
                ledger.AppendAsync([others[0]]),
                ledger.AppendAsync([others[1]]),
                ledger.AppendAsync([duplicate]),
                ledger.AppendAsync([others[2], others[3]]),
            ];
        }

        var conflict = await Assert.ThrowsAsync<LedgerConflictException>(() => appends[2]);
        await Task.WhenAll(appends[0], appends[1], appends[3]);

        Assert.Equal(("account/t1/a1", 1L), (conflict.StreamId, conflict.Seq));
        Assert.Equal(1, ledger.Committer.SharedFailures);
        foreach (var entry in others)
        {
            Assert.Equal([entry], await ledger.ReadStreamAsync(entry.StreamId, 0, 10));
        }

        Assert.Equal(taken, await ledger.ReadStreamAsync("account/t1/a1", 0, 10));
        Assert.Equal(new LedgerVerification(true, 5, null, null), await ledger.VerifyAsync("t1"));
    }

    [Fact]
    public async Task ManyConcurrentAppendersAllCommitInGroupedBatches()
    {
        const int Streams = 200;
        const int PerStream = 50;
        using var dir = new TempDirectory();
        await using var ledger = new SqliteLedger(dir.File("ledger.db"), _time);

        await Task.WhenAll(Enumerable.Range(0, Streams).Select(s => Task.Run(async () =>
        {
            var stream = new LedgerStream(ledger, _time, "t1", $"account/t1/a{s}");
            await stream.InitializeAsync();
            for (var i = 0; i < PerStream; i++)
            {
                await stream.AppendAsync("STEP", $"run-{s}", "system", new { s, i });
            }
        })));

        Assert.Equal(new LedgerVerification(true, Streams * PerStream, null, null), await ledger.VerifyAsync("t1"));
        Assert.Equal(50, (await ledger.ReadHeadAsync("account/t1/a7"))!.Seq);
        Assert.InRange(ledger.Committer.Transactions, 1, (Streams * PerStream) - 1);
    }

    [Fact]
    public async Task QueryFiltersAndCursorPagingReturnEveryEntryOnceOldestFirst()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteLedger(dir.File("ledger.db"), _time);
        var all = new List<LedgerEntry>();
        for (var i = 0; i < 60; i++)
        {
            // Interleave tenants, accounts, runs and types; one minute apart.
            var tenant = i % 5 == 0 ? "t2" : "t1";
            var stream = i % 3 == 0 ? $"tenant/{tenant}" : $"account/{tenant}/a{i % 2}";
            var writer = new LedgerStream(ledger, _time, tenant, stream);
            all.Add(await writer.AppendAsync(i % 4 == 0 ? "POLICY" : "SIGNAL", $"run-{i % 7}", "system", new { i }));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var t1 = all.Where(e => e.TenantId == "t1").ToList();
        Assert.Equal(t1, await PageAllAsync(ledger, new LedgerQuery("t1", Limit: 7)));
        Assert.Equal(
            t1.Where(e => e.StreamId == "account/t1/a1").ToList(),
            await PageAllAsync(ledger, new LedgerQuery("t1", AccountId: "a1", Limit: 3)));
        Assert.Equal(
            t1.Where(e => e.RunId == "run-3" && e.Type == "SIGNAL").ToList(),
            await PageAllAsync(ledger, new LedgerQuery("t1", RunId: "run-3", Type: "SIGNAL", Limit: 1)));
        var from = Start.AddMinutes(10);
        var to = Start.AddMinutes(40);
        Assert.Equal(
            t1.Where(e => e.At >= from && e.At < to).ToList(),
            await PageAllAsync(ledger, new LedgerQuery("t1", From: from, To: to, Limit: 4)));

        var firstPage = await ledger.QueryAsync(new LedgerQuery("t1", Limit: 0));
        Assert.Single(firstPage.Items);
        Assert.Equal(t1.Count, (await ledger.QueryAsync(new LedgerQuery("t1", Limit: 5000))).Items.Count);
        await Assert.ThrowsAsync<ArgumentException>(() => ledger.QueryAsync(new LedgerQuery("t1", Cursor: "not a cursor")));
    }

    [Fact]
    public async Task ExportYieldsAllEntriesOfTheTenantInOrder()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteLedger(dir.File("ledger.db"), _time);
        var expected = new List<LedgerEntry>();
        for (var i = 0; i < 30; i++)
        {
            expected.AddRange(await AppendManyAsync(ledger, "t1", $"account/t1/a{i % 4}", 1 + (i % 3)));
            await AppendManyAsync(ledger, "t9", "account/t9/x", 1);
            _time.Advance(TimeSpan.FromSeconds(30));
        }

        var exported = new List<LedgerEntry>();
        await foreach (var entry in ledger.ExportAsync("t1", null, null))
        {
            exported.Add(entry);
        }

        Assert.Equal(expected, exported);
        var from = Start.AddMinutes(5);
        var window = new List<LedgerEntry>();
        await foreach (var entry in ledger.ExportAsync("t1", from, null))
        {
            window.Add(entry);
        }

        Assert.Equal(expected.Where(e => e.At >= from), window);
        Assert.InRange(window.Count, 1, expected.Count - 1);
    }

    [Fact]
    public async Task UnwritableLocationSurfacesLedgerUnavailable()
    {
        using var dir = new TempDirectory();
        // A regular file where the ledger's directory should be: no user, root included, can create it.
        var blocker = dir.File("not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        await using var ledger = new SqliteLedger(Path.Combine(blocker, "ledger.db"), _time);
        var stream = new LedgerStream(ledger, _time, "t1", "account/t1/a1");

        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.AppendAsync([Chained("t1", "account/t1/a1", 1, LedgerHash.Genesis, "x")]));
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => stream.AppendAsync("STEP", null, "system", new { }));
    }

    [Fact]
    public async Task DisposeFlushesQueuedAppendsAndLaterAppendsAreUnavailable()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        var ledger = new SqliteLedger(path, _time);
        var entries = Enumerable.Range(0, 20).Select(i => Chained("t1", $"account/t1/a{i}", 1, LedgerHash.Genesis, "x")).ToList();
        var appends = entries.Select(e => ledger.AppendAsync([e])).ToList();

        await ledger.DisposeAsync();

        await Task.WhenAll(appends);
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.AppendAsync([Chained("t1", "account/t1/late", 1, LedgerHash.Genesis, "x")]));
        await using var reopened = new SqliteLedger(path, _time);
        Assert.Equal(new LedgerVerification(true, 20, null, null), await reopened.VerifyAsync("t1"));
    }

    [Fact]
    public async Task AccountIdIsDerivedOnlyFromTheAccountStreamOfTheSameTenant()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteLedger(dir.File("ledger.db"), _time);
        var own = await AppendManyAsync(ledger, "t1", LedgerStreamIds.ForAccount("t1", "acc/with/slashes"), 1);
        await AppendManyAsync(ledger, "t1", "account/t2/acc/with/slashes", 1);
        await AppendManyAsync(ledger, "t1", "seller/t1/acc", 1);

        var page = await ledger.QueryAsync(new LedgerQuery("t1", AccountId: "acc/with/slashes"));
        Assert.Equal(own, page.Items);
        Assert.Null(page.NextCursor);
    }

    private async Task<List<LedgerEntry>> AppendManyAsync(SqliteLedger ledger, string tenant, string stream, int count)
    {
        var writer = new LedgerStream(ledger, _time, tenant, stream);
        var drafts = Enumerable.Range(0, count).Select(i => new LedgerDraft("STEP", "run-1", "system", new { n = i })).ToList();
        return [.. await writer.AppendAsync(drafts)];
    }

    private static async Task<List<LedgerEntry>> PageAllAsync(SqliteLedger ledger, LedgerQuery query)
    {
        var items = new List<LedgerEntry>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = await ledger.QueryAsync(query with { Cursor = cursor });
            Assert.InRange(page.Items.Count, 0, query.Limit);
            items.AddRange(page.Items);
            cursor = page.NextCursor;
            Assert.True(++pages <= 100, "paging does not end");
        }
        while (cursor is not null);

        return items;
    }

    private LedgerEntry Chained(string tenant, string stream, long seq, string prevHash, string marker)
    {
        var at = _time.GetUtcNow();
        var id = LedgerEntryIds.New(at);
        var payload = $"{{\"m\":\"{marker}\"}}";
        return new LedgerEntry(id, tenant, stream, seq, null, "STEP", at, "system", payload, prevHash,
            LedgerHash.Compute(id, tenant, stream, seq, null, "STEP", at, "system", payload, prevHash));
    }

    // Tampering as an attacker with file access would: drop the append-only guard, then rewrite.
    private static async Task ExecuteRawAsync(string path, string sql, string entryId)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "DROP TRIGGER IF EXISTS ledger_entries_no_update; DROP TRIGGER IF EXISTS ledger_entries_no_delete; " + sql;
        command.Parameters.AddWithValue("$id", entryId);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autonomy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found above " + AppContext.BaseDirectory);
    }
}

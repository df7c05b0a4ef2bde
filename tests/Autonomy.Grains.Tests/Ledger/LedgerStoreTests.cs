using System.Data.Common;
using System.Diagnostics;
using Autonomy.Ledger;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Autonomy.Tests.Ledger;

/// <summary>
/// The rules every ledger store keeps, tested once per store: each store's test class derives from this one
/// and says how to open a ledger over a fresh store of its own, an unreachable one, and how to tamper with it.
/// </summary>
public abstract partial class LedgerStoreTests<TLedger>(ITestOutputHelper output) : IAsyncLifetime
    where TLedger : class, ILedger, IAsyncDisposable
{
    protected static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(Start);

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    /// <summary>A ledger over this test's store; every call opens the same store.</summary>
    protected abstract TLedger Open();

    /// <summary>A ledger whose store cannot be reached or created.</summary>
    protected abstract TLedger OpenUnreachable();

    private protected abstract LedgerGroupCommitter CommitterOf(TLedger ledger);

    /// <summary>
    /// Runs <paramref name="sql"/> (with the parameter <c>@id</c>) on the store directly, as an attacker with
    /// access to it would, after dropping the append-only guard when <paramref name="dropGuards"/>.
    /// </summary>
    protected abstract Task<int> ExecuteRawAsync(string sql, string entryId, bool dropGuards);

    [Fact]
    public async Task VerifyNamesTheEntryWhosePayloadWasTampered()
    {
        await using var ledger = Open();
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 5);
        await AppendManyAsync(ledger, "t1", "account/t1/a2", 3);
        Assert.Equal(new LedgerVerification(true, 8, null, null), (await ledger.VerifyAsync("t1")).Chains());

        Assert.Equal(1, await ExecuteRawAsync("UPDATE ledger_entries SET payload = '{\"n\":999}' WHERE entry_id = @id;", entries[2].EntryId, dropGuards: true));

        var result = await ledger.VerifyAsync("t1");
        Assert.Equal((false, 2L, entries[2].EntryId, "hash mismatch"), (result.Ok, result.Entries, result.FirstBrokenEntryId, result.Problem));
    }

    [Fact]
    public async Task VerifyReportsADeletedMiddleEntry()
    {
        await using var ledger = Open();
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 5);

        Assert.Equal(1, await ExecuteRawAsync("DELETE FROM ledger_entries WHERE entry_id = @id;", entries[2].EntryId, dropGuards: true));

        var result = await ledger.VerifyAsync("t1");
        Assert.Equal((false, entries[3].EntryId, "sequence gap"), (result.Ok, result.FirstBrokenEntryId, result.Problem));
    }

    [Fact]
    public async Task VerifyReportsARelinkedChain()
    {
        await using var ledger = Open();
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 3);
        // A forger rewrites entry 2 with a valid hash of its own; entry 3 still points at the original.
        var forged = entries[1] with { Payload = "{\"n\":-1}" };
        var forgedHash = LedgerHash.Compute(forged.EntryId, forged.TenantId, forged.StreamId, forged.Seq, forged.RunId, forged.Type, forged.At, forged.Actor, forged.Payload, forged.PrevHash);
        await ExecuteRawAsync($"UPDATE ledger_entries SET payload = '{forged.Payload}', hash = '{forgedHash}' WHERE entry_id = @id;", forged.EntryId, dropGuards: true);

        var result = await ledger.VerifyAsync("t1");
        Assert.Equal((false, entries[2].EntryId, "chain broken"), (result.Ok, result.FirstBrokenEntryId, result.Problem));
    }

    [Fact]
    public async Task VerifyHashesTheStoredTimeText()
    {
        await using var ledger = Open();
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 2);

        // Not a time this ledger writes: a store that parsed it before hashing could throw or round it.
        await ExecuteRawAsync("UPDATE ledger_entries SET at = '2026-03-01 09:00:00' WHERE entry_id = @id;", entries[1].EntryId, dropGuards: true);

        var result = await ledger.VerifyAsync("t1");
        Assert.Equal((false, entries[1].EntryId, "hash mismatch"), (result.Ok, result.FirstBrokenEntryId, result.Problem));
    }

    [Fact]
    public async Task StoreRefusesUpdatesAndDeletesThroughItsOwnSchema()
    {
        await using var ledger = Open();
        var entries = await AppendManyAsync(ledger, "t1", "account/t1/a1", 1);

        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteRawAsync("UPDATE ledger_entries SET payload = '{}' WHERE entry_id = @id;", entries[0].EntryId, dropGuards: false));
        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteRawAsync("DELETE FROM ledger_entries WHERE entry_id = @id;", entries[0].EntryId, dropGuards: false));
        Assert.Equal(new LedgerVerification(true, 1, null, null), (await ledger.VerifyAsync("t1")).Chains());
    }

    [Fact]
    public async Task DuplicateSeqFailsOnlyItsCallerInASharedBatch()
    {
        await using var ledger = Open();
        var taken = await AppendManyAsync(ledger, "t1", "account/t1/a1", 1);
        var duplicate = Chained("t1", "account/t1/a1", 1, LedgerHash.Genesis, "dup");
        var others = Enumerable.Range(0, 4).Select(i => Chained("t1", $"account/t1/b{i}", 1, LedgerHash.Genesis, "ok")).ToList();

        Task[] appends;
        using (CommitterOf(ledger).Hold())
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
        Assert.Equal(1, CommitterOf(ledger).SharedFailures);
        foreach (var entry in others)
        {
            Assert.Equal([entry], await ledger.ReadStreamAsync(entry.StreamId, 0, 10));
        }

        Assert.Equal(taken, await ledger.ReadStreamAsync("account/t1/a1", 0, 10));
        Assert.Equal(new LedgerVerification(true, 5, null, null), (await ledger.VerifyAsync("t1")).Chains());
    }

    [Fact]
    public async Task ATakenSeqAmongHundredsOfStreamsIsNamedAndNothingOfTheAppendIsWritten()
    {
        await using var ledger = Open();
        var taken = await AppendManyAsync(ledger, "t1", "account/t1/s450", 1);
        // More streams than one lookup statement asks about, the taken one last.
        var wide = Enumerable.Range(0, 451).Select(i => Chained("t1", $"account/t1/s{i}", 1, LedgerHash.Genesis, "wide")).ToList();

        var conflict = await Assert.ThrowsAsync<LedgerConflictException>(() => ledger.AppendAsync(wide));

        Assert.Equal(("account/t1/s450", 1L), (conflict.StreamId, conflict.Seq));
        Assert.Empty(await ledger.ReadStreamAsync("account/t1/s0", 0, 10));
        Assert.Equal(taken, await ledger.ReadStreamAsync("account/t1/s450", 0, 10));
    }

    [Fact]
    public async Task ADuplicateEntryIdIsBadDataNotAConflict()
    {
        await using var ledger = Open();
        var stored = await AppendManyAsync(ledger, "t1", "account/t1/a1", 1);
        var reused = Chained("t1", "account/t1/a2", 1, LedgerHash.Genesis, "x") with { EntryId = stored[0].EntryId };

        // Exactly ArgumentException: the (stream, seq) is free, so a conflict would blame a stale writer for bad data.
        await Assert.ThrowsAsync<ArgumentException>(() => ledger.AppendAsync([reused]));
        Assert.Empty(await ledger.ReadStreamAsync("account/t1/a2", 0, 10));
    }

    [Fact]
    public async Task TwoCallersClaimingTheSameSeqInOneBatchLeaveOneWinner()
    {
        await using var ledger = Open();
        var first = Chained("t1", "account/t1/a1", 1, LedgerHash.Genesis, "first");
        var second = Chained("t1", "account/t1/a1", 1, LedgerHash.Genesis, "second");

        Task[] appends;
        using (CommitterOf(ledger).Hold())
        {
            appends = [ledger.AppendAsync([first]), ledger.AppendAsync([second])];
        }

        await appends[0];
        var conflict = await Assert.ThrowsAsync<LedgerConflictException>(() => appends[1]);
        Assert.Equal(("account/t1/a1", 1L), (conflict.StreamId, conflict.Seq));
        Assert.Equal([first], await ledger.ReadStreamAsync("account/t1/a1", 0, 10));
    }

    [Fact]
    public async Task ManyConcurrentAppendersAllCommitInGroupedBatches()
    {
        const int Streams = 200;
        const int PerStream = 50;
        await using var ledger = Open();

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Streams).Select(s => Task.Run(async () =>
        {
            var stream = new LedgerStream(ledger, Time, "t1", $"account/t1/a{s}");
            await stream.InitializeAsync();
            for (var i = 0; i < PerStream; i++)
            {
                await stream.AppendAsync("STEP", $"run-{s}", "system", new { s, i });
            }
        })));
        clock.Stop();

        var transactions = CommitterOf(ledger).Transactions;
        output.WriteLine(
            $"{typeof(TLedger).Name}: {Streams * PerStream} single-entry appends from {Streams} streams in {clock.ElapsedMilliseconds} ms, " +
            $"{Streams * PerStream / clock.Elapsed.TotalSeconds:F0} entries/s, {transactions} transactions");
        Assert.Equal(new LedgerVerification(true, Streams * PerStream, null, null), (await ledger.VerifyAsync("t1")).Chains());
        Assert.Equal(50, (await ledger.ReadHeadAsync("account/t1/a7"))!.Seq);
        Assert.InRange(transactions, 1, (Streams * PerStream) - 1);
    }

    [Fact]
    public async Task BulkAppendThroughput()
    {
        const int Callers = 50;
        const int Appends = 20;
        const int PerAppend = 50;
        await using var ledger = Open();
        // Chained up front, so the clock measures the store and not hashing.
        var batches = Enumerable.Range(0, Callers).Select(c =>
        {
            var chain = new List<LedgerEntry>();
            var prev = LedgerHash.Genesis;
            for (var seq = 1; seq <= Appends * PerAppend; seq++)
            {
                chain.Add(Chained("t1", $"account/t1/bulk{c}", seq, prev, $"{c}-{seq}"));
                prev = chain[^1].Hash;
            }

            return chain.Chunk(PerAppend).ToList();
        }).ToList();

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(batches.Select(chunks => Task.Run(async () =>
        {
            foreach (var chunk in chunks)
            {
                await ledger.AppendAsync(chunk);
            }
        })));
        clock.Stop();

        const int Total = Callers * Appends * PerAppend;
        output.WriteLine(
            $"{typeof(TLedger).Name}: {Total} entries in appends of {PerAppend} from {Callers} callers in {clock.ElapsedMilliseconds} ms, " +
            $"{Total / clock.Elapsed.TotalSeconds:F0} entries/s, {CommitterOf(ledger).Transactions} transactions");
        Assert.Equal(new LedgerVerification(true, Total, null, null), (await ledger.VerifyAsync("t1")).Chains());
    }

    [Fact]
    public async Task QueryFiltersAndCursorPagingReturnEveryEntryOnceOldestFirst()
    {
        await using var ledger = Open();
        var all = new List<LedgerEntry>();
        for (var i = 0; i < 60; i++)
        {
            // Interleave tenants, accounts, runs and types; one minute apart.
            var tenant = i % 5 == 0 ? "t2" : "t1";
            var stream = i % 3 == 0 ? $"tenant/{tenant}" : $"account/{tenant}/a{i % 2}";
            var writer = new LedgerStream(ledger, Time, tenant, stream);
            all.Add(await writer.AppendAsync(i % 4 == 0 ? "POLICY" : "SIGNAL", $"run-{i % 7}", "system", new { i }));
            Time.Advance(TimeSpan.FromMinutes(1));
        }

        var t1 = all.Where(e => e.TenantId == "t1").ToList();
        // PostgreSQL serves what committed once no transaction that began before it is open on the server.
        await Eventually.UntilAsync(() => ledger.QueryAsync(new LedgerQuery("t1", Limit: 1000)), p => p.Items.Count == t1.Count, Horizon, "every entry of t1 to be served");
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
        await using var ledger = Open();
        var expected = new List<LedgerEntry>();
        for (var i = 0; i < 30; i++)
        {
            expected.AddRange(await AppendManyAsync(ledger, "t1", $"account/t1/a{i % 4}", 1 + (i % 3)));
            await AppendManyAsync(ledger, "t9", "account/t9/x", 1);
            Time.Advance(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(expected, await ExportAsync(ledger, "t1", null, null));
        var from = Start.AddMinutes(5);
        var window = await ExportAsync(ledger, "t1", from, null);
        Assert.Equal(expected.Where(e => e.At >= from), window);
        Assert.InRange(window.Count, 1, expected.Count - 1);
    }

    [Fact]
    public async Task UnreachableStoreSurfacesLedgerUnavailable()
    {
        await using var ledger = OpenUnreachable();
        var stream = new LedgerStream(ledger, Time, "t1", "account/t1/a1");

        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.AppendAsync([Chained("t1", "account/t1/a1", 1, LedgerHash.Genesis, "x")]));
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => stream.AppendAsync("STEP", null, "system", new { }));
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ReadHeadAsync("account/t1/a1"));
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.QueryAsync(new LedgerQuery("t1")));
    }

    [Fact]
    public async Task DisposeFlushesQueuedAppendsAndLaterAppendsAreUnavailable()
    {
        var ledger = Open();
        var entries = Enumerable.Range(0, 20).Select(i => Chained("t1", $"account/t1/a{i}", 1, LedgerHash.Genesis, "x")).ToList();
        var appends = entries.Select(e => ledger.AppendAsync([e])).ToList();

        await ledger.DisposeAsync();

        await Task.WhenAll(appends);
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.AppendAsync([Chained("t1", "account/t1/late", 1, LedgerHash.Genesis, "x")]));
        await using var reopened = Open();
        Assert.Equal(new LedgerVerification(true, 20, null, null), (await reopened.VerifyAsync("t1")).Chains());
    }

    [Fact]
    public async Task AccountIdIsDerivedOnlyFromTheAccountStreamOfTheSameTenant()
    {
        await using var ledger = Open();
        var own = await AppendManyAsync(ledger, "t1", LedgerStreamIds.ForAccount("t1", "acc/with/slashes"), 1);
        await AppendManyAsync(ledger, "t1", "account/t2/acc/with/slashes", 1);
        await AppendManyAsync(ledger, "t1", "seller/t1/acc", 1);
        await Eventually.UntilAsync(() => ledger.QueryAsync(new LedgerQuery("t1")), p => p.Items.Count == 3, Horizon, "the three entries to be served");

        var page = await ledger.QueryAsync(new LedgerQuery("t1", AccountId: "acc/with/slashes"));
        Assert.Equal(own, page.Items);
        Assert.Null(page.NextCursor);
    }

    protected async Task<List<LedgerEntry>> AppendManyAsync(TLedger ledger, string tenant, string stream, int count)
    {
        var writer = new LedgerStream(ledger, Time, tenant, stream);
        var drafts = Enumerable.Range(0, count).Select(i => new LedgerDraft("STEP", "run-1", "system", new { n = i })).ToList();
        return [.. await writer.AppendAsync(drafts)];
    }

    protected LedgerEntry Chained(string tenant, string stream, long seq, string prevHash, string marker)
    {
        var at = Time.GetUtcNow();
        var id = LedgerEntryIds.New(at);
        var payload = $"{{\"m\":\"{marker}\"}}";
        return new LedgerEntry(id, tenant, stream, seq, null, "STEP", at, "system", payload, prevHash,
            LedgerHash.Compute(id, tenant, stream, seq, null, "STEP", at, "system", payload, prevHash));
    }

    private static async Task<List<LedgerEntry>> ExportAsync(TLedger ledger, string tenant, DateTimeOffset? from, DateTimeOffset? to)
    {
        var exported = new List<LedgerEntry>();
        await foreach (var entry in ledger.ExportAsync(tenant, from, to))
        {
            exported.Add(entry);
        }

        return exported;
    }

    protected static async Task<List<LedgerEntry>> PageAllAsync(TLedger ledger, LedgerQuery query)
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
}

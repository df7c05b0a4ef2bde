using Autonomy.Ledger;

namespace Autonomy.Tests.Ledger;

/// <summary>Pages bounded in bytes, whatever the payloads, the same tests for every store.</summary>
public abstract partial class LedgerStoreTests<TLedger>
{
    [Fact]
    public async Task APageStopsAtItsByteBoundAndFollowingTheCursorReturnsEveryEntryExactlyOnce()
    {
        await using var ledger = Open();
        // 600 entries of about 15 KB (9 MB): a page of 500 would be 7.5 MB.
        var large = string.Concat(Enumerable.Repeat("attribute-value-", 15 * 1024 / 16));
        var appended = new List<LedgerEntry>();
        for (var stream = 0; stream < 6; stream++)
        {
            var prev = LedgerHash.Genesis;
            var chain = new List<LedgerEntry>();
            for (var seq = 1; seq <= 100; seq++)
            {
                var entry = Chained("t-big", $"account/t-big/a{stream}", seq, prev, $"{seq}-{large}");
                chain.Add(entry);
                prev = entry.Hash;
            }

            await ledger.AppendAsync(chain);
            appended.AddRange(chain);
        }

        var query = new LedgerQuery("t-big", Limit: 500);
        var first = await Eventually.UntilAsync(() => ledger.QueryAsync(query), p => p.NextCursor is not null, Horizon, "the first page");

        Assert.InRange(first.Items.Count, 1, 499);
        Assert.True(first.Items.Sum(LedgerPaging.WireBytes) <= LedgerPaging.MaxPageBytes, $"{first.Items.Sum(LedgerPaging.WireBytes)} bytes in one page");
        Assert.True(first.Items.Sum(LedgerPaging.WireBytes) > LedgerPaging.MaxPageBytes - LedgerPaging.WireBytes(appended[0]), "the page stopped before it had to");
        var all = await Eventually.UntilAsync(() => PageAllAsync(ledger, query), items => items.Count >= appended.Count, Horizon, "every entry to be served");
        Assert.Equal(appended.Select(e => e.EntryId).Order(), all.Select(e => e.EntryId).Order());
    }

    [Fact]
    public async Task AnEntryLargerThanAPageIsAPageOfItsOwnAndPagingGoesOn()
    {
        await using var ledger = Open();
        var huge = Chained("t-huge", "account/t-huge/a1", 1, LedgerHash.Genesis, new string('h', LedgerPaging.MaxPageBytes + 1));
        var next = Chained("t-huge", "account/t-huge/a1", 2, huge.Hash, "small");
        await ledger.AppendAsync([huge, next]);

        var query = new LedgerQuery("t-huge", Limit: 500);
        var first = await Eventually.UntilAsync(() => ledger.QueryAsync(query), p => p.Items.Count > 0, Horizon, "the first page");
        var second = await ledger.QueryAsync(query with { Cursor = first.NextCursor });

        Assert.Equal([huge.EntryId], first.Items.Select(e => e.EntryId));
        Assert.Equal([next.EntryId], second.Items.Select(e => e.EntryId));
        Assert.Null(second.NextCursor);
    }
}

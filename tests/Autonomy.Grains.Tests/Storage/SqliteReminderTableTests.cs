using Autonomy.Hosting;
using CsCheck;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;

namespace Autonomy.Tests.Storage;

public sealed class SqliteReminderTableTests : SqliteReminderTableFixture
{
    [Fact]
    public async Task UpsertedRowReadsBackWithItsETag()
    {
        var entry = Entry("account/1", "ritual");

        var etag = await _table.UpsertRow(entry);

        var row = await _table.ReadRow(entry.GrainId, "ritual");
        Assert.NotNull(row);
        Assert.Equal(entry.GrainId, row.GrainId);
        Assert.Equal("ritual", row.ReminderName);
        Assert.Equal(entry.StartAt, row.StartAt);
        Assert.Equal(DateTimeKind.Utc, row.StartAt.Kind);
        Assert.Equal(entry.Period, row.Period);
        Assert.Equal(etag, row.ETag);
    }

    [Fact]
    public async Task UpsertReplacesTheRowAndIssuesANewETag()
    {
        var entry = Entry("account/2", "ritual");
        var first = await _table.UpsertRow(entry);

        entry.Period = TimeSpan.FromHours(2);
        var second = await _table.UpsertRow(entry);

        Assert.NotEqual(first, second);
        var rows = await _table.ReadRows(entry.GrainId);
        var row = Assert.Single(rows.Reminders);
        Assert.Equal(TimeSpan.FromHours(2), row.Period);
        Assert.Equal(second, row.ETag);
    }

    [Fact]
    public async Task RemoveWithAStaleETagKeepsTheRow()
    {
        var entry = Entry("account/3", "ritual");
        var stale = await _table.UpsertRow(entry);
        var current = await _table.UpsertRow(entry);

        Assert.False(await _table.RemoveRow(entry.GrainId, "ritual", stale!));
        Assert.NotNull(await _table.ReadRow(entry.GrainId, "ritual"));

        Assert.True(await _table.RemoveRow(entry.GrainId, "ritual", current!));
        Assert.Null(await _table.ReadRow(entry.GrainId, "ritual"));
        Assert.False(await _table.RemoveRow(entry.GrainId, "ritual", current!));
    }

    [Fact]
    public async Task ReadRowsOfAGrainReturnsOnlyItsReminders()
    {
        var grain = Entry("account/4", "ritual");
        await _table.UpsertRow(grain);
        await _table.UpsertRow(Entry("account/4", "pull"));
        await _table.UpsertRow(Entry("account/5", "ritual"));

        var rows = await _table.ReadRows(grain.GrainId);

        Assert.Equal(["pull", "ritual"], rows.Reminders.Select(r => r.ReminderName).Order());
        Assert.All(rows.Reminders, r => Assert.Equal(grain.GrainId, r.GrainId));
    }

    [Fact]
    public async Task AnotherServiceIdNeitherSeesNorClearsTheRows()
    {
        var entry = Entry("account/6", "ritual");
        await _table.UpsertRow(entry);
        var other = Table("service-b");

        Assert.Null(await other.ReadRow(entry.GrainId, "ritual"));
        Assert.Empty((await other.ReadRows(0u, 0u)).Reminders);
        await other.TestOnlyClearTable();

        Assert.NotNull(await _table.ReadRow(entry.GrainId, "ritual"));
        await _table.TestOnlyClearTable();
        Assert.Null(await _table.ReadRow(entry.GrainId, "ritual"));
    }

    [Fact]
    public async Task RangeReadIncludesItsEndAndExcludesItsBegin()
    {
        var entry = Entry("account/7", "ritual");
        await _table.UpsertRow(entry);
        var hash = entry.GrainId.GetUniformHashCode();

        Assert.Contains(entry.GrainId, await GrainsIn(unchecked(hash - 1), hash));
        Assert.DoesNotContain(entry.GrainId, await GrainsIn(hash, unchecked(hash + 1)));
        // Wrapping the whole ring but (hash - 1, hash] leaves out exactly this grain.
        Assert.DoesNotContain(entry.GrainId, await GrainsIn(hash, unchecked(hash - 1)));
        // begin == end is the whole ring.
        Assert.Contains(entry.GrainId, await GrainsIn(hash, hash));
    }

    [Fact]
    public async Task RangeReadsMatchOrleansRingRangesIncludingWrapAround()
    {
        var grains = Enumerable.Range(0, 40).Select(i => Entry($"account/ring-{i}", "ritual")).ToList();
        foreach (var grain in grains)
        {
            await _table.UpsertRow(grain);
        }

        // Ends on and right next to stored hashes and on the ring's ends, where off-by-one errors live.
        var edges = grains
            .Select(g => g.GrainId.GetUniformHashCode())
            .SelectMany(h => new[] { h, unchecked(h - 1), unchecked(h + 1) })
            .Concat([0u, uint.MaxValue])
            .ToArray();
        var point = Gen.Frequency((1, (IGen<uint>)Gen.UInt), (2, Gen.OneOf(edges)));

        await Gen.Select(point, point).SampleAsync(
            async (begin, end) =>
            {
                var range = RangeFactory.CreateRange(begin, end);
                var expected = grains.Where(g => range.InRange(g.GrainId)).Select(g => g.GrainId.ToString()).Order();
                var actual = (await GrainsIn(begin, end)).Select(id => id.ToString()).Order();
                Assert.Equal(expected, actual);
            },
            iter: 200,
            threads: 1);
    }

    [Fact]
    public async Task ARangeReadWithADueWindowReturnsExactlyTheRemindersWhoseNextTickIsWithinIt()
    {
        var now = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
        var window = TimeSpan.FromMinutes(15);
        var table = new SqliteReminderTable(System.IO.Path.Combine(_directory.Path, "due.db"), "service-a", new FakeTimeProvider(new DateTimeOffset(now)), window);
        await table.StartAsync();
        var minute = TimeSpan.TicksPerMinute;
        // Starts from a day before to a day after now, periods from a minute to a day; edges where a tick falls exactly
        // on now or on the window's end.
        var start = Gen.Frequency(
            (3, Gen.Long[-1440 * minute, 1440 * minute].Select(offset => now.AddTicks(offset))),
            (1, Gen.OneOf(Gen.Const(now), Gen.Const(now + window), Gen.Const(now + window + TimeSpan.FromTicks(1)))));
        var period = Gen.Frequency(
            (3, Gen.Long[minute, 1440 * minute].Select(TimeSpan.FromTicks)),
            (1, Gen.OneOf(Gen.Const(window), Gen.Const(TimeSpan.FromMinutes(1)), Gen.Const(TimeSpan.FromHours(4)))));

        await Gen.Select(start, period).List[1, 30].SampleAsync(
            async schedules =>
            {
                await table.TestOnlyClearTable();
                var entries = schedules.Select((s, i) => new ReminderEntry
                {
                    GrainId = GrainId.Create("autonomy.tests.probe", $"due-{i}"),
                    ReminderName = "ritual",
                    StartAt = s.Item1,
                    Period = s.Item2,
                }).ToList();
                foreach (var entry in entries)
                {
                    await table.UpsertRow(entry);
                }

                var expected = entries.Where(e => NextTick(e, now) <= now + window).Select(e => e.GrainId.ToString()).Order();
                var actual = (await table.ReadRows(0u, 0u)).Reminders.Select(r => r.GrainId.ToString()).Order();
                Assert.Equal(expected, actual);
            },
            iter: 100,
            threads: 1);

        // A grain's own read is never filtered.
        var distant = new ReminderEntry { GrainId = GrainId.Create("autonomy.tests.probe", "distant"), ReminderName = "ritual", StartAt = now.AddDays(2), Period = TimeSpan.FromHours(4) };
        await table.UpsertRow(distant);
        Assert.Single((await table.ReadRows(distant.GrainId)).Reminders);
        Assert.DoesNotContain((await table.ReadRows(0u, 0u)).Reminders, r => r.GrainId == distant.GrainId);
    }

    /// <summary>The next tick at or after <paramref name="now"/> as Orleans' reminder service computes it.</summary>
    private static DateTime NextTick(ReminderEntry entry, DateTime now)
    {
        if (now <= entry.StartAt)
        {
            return entry.StartAt;
        }

        var sinceLast = (now.Ticks - entry.StartAt.Ticks) % entry.Period.Ticks;
        return sinceLast == 0 ? now : now.AddTicks(entry.Period.Ticks - sinceLast);
    }

    [Fact]
    public async Task StartAppliesTheSchemaAgainWithoutLosingRows()
    {
        var entry = Entry("account/8", "ritual");
        await _table.UpsertRow(entry);

        await _table.StartAsync();

        Assert.NotNull(await _table.ReadRow(entry.GrainId, "ritual"));
    }

    private async Task<IReadOnlyList<GrainId>> GrainsIn(uint begin, uint end) =>
        (await _table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId).ToList();
}

using Autonomy.Hosting;
using Orleans.Runtime;

namespace Autonomy.Tests.Storage;

/// <summary>The reminder table's group commit: writes waiting together go in one transaction, each with its own answer.</summary>
public sealed class SqliteReminderWriterTests : SqliteReminderTableFixture
{
    [Fact]
    public async Task WritesQueuedWhileAnotherHoldsTheTurnAreCommittedInOneTransactionEachWithItsOwnETag()
    {
        var entries = Enumerable.Range(0, 40).Select(i => Entry($"account/{i}", "tick")).ToList();
        Task<string?>[] upserts;
        await using (await _table.Writes.HoldTurnAsync())
        {
            upserts = entries.Select(e => _table.UpsertRow(e)).ToArray();
            Assert.All(upserts, u => Assert.False(u.IsCompleted));
        }

        var etags = await Task.WhenAll(upserts);

        Assert.Equal(1, _table.Writes.Transactions);
        Assert.Equal(40, etags.Distinct().Count());
        for (var i = 0; i < entries.Count; i++)
        {
            var row = await _table.ReadRow(entries[i].GrainId, "tick");
            Assert.NotNull(row);
            Assert.Equal(etags[i], row.ETag);
            Assert.Equal(entries[i].StartAt, row.StartAt);
        }
    }

    [Fact]
    public async Task InOneGroupWritesApplyInArrivalOrderAndARemovalAnswersForItself()
    {
        var kept = Entry("account/kept", "tick");
        var gone = Entry("account/gone", "tick");
        var keptETag = await _table.UpsertRow(kept);
        var goneETag = await _table.UpsertRow(gone);
        var before = _table.Writes.Transactions;

        Task<bool> stale, current;
        Task<string?> replaced;
        await using (await _table.Writes.HoldTurnAsync())
        {
            stale = _table.RemoveRow(kept.GrainId, "tick", "not-its-etag");
            current = _table.RemoveRow(gone.GrainId, "tick", goneETag!);
            kept.Period = TimeSpan.FromHours(4);
            replaced = _table.UpsertRow(kept);
        }

        Assert.False(await stale);
        Assert.True(await current);
        var newETag = await replaced;
        Assert.Equal(before + 1, _table.Writes.Transactions);
        Assert.Null(await _table.ReadRow(gone.GrainId, "tick"));
        var row = await _table.ReadRow(kept.GrainId, "tick");
        Assert.NotNull(row);
        Assert.Equal(TimeSpan.FromHours(4), row.Period);
        Assert.Equal(newETag, row.ETag);
        Assert.NotEqual(keptETag, newETag);
    }

    [Fact]
    public async Task AWriteWhoseCallerGaveUpBeforeItsGroupBeganIsNotWritten()
    {
        var abandoned = Entry("account/abandoned", "tick");
        var written = Entry("account/written", "tick");
        using var giveUp = new CancellationTokenSource();
        Task<string?> cancelled, other;
        await using (await _table.Writes.HoldTurnAsync())
        {
            cancelled = _table.UpsertRow(abandoned, giveUp.Token);
            other = _table.UpsertRow(written);
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        }

        Assert.NotNull(await other);
        Assert.Null(await _table.ReadRow(abandoned.GrainId, "tick"));
        Assert.NotNull(await _table.ReadRow(written.GrainId, "tick"));
    }

    [Fact]
    public async Task AFailedTransactionFailsEveryWriteOfItsGroupAndWritesNone()
    {
        var first = Entry("account/first", "tick");
        var second = Entry("account/second", "tick");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={System.IO.Path.Combine(_directory.Path, "reminders.db")}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // A trigger that refuses the second row stands for a failure in the middle of a group.
            command.CommandText = "CREATE TRIGGER refuse BEFORE INSERT ON OrleansReminders WHEN NEW.GrainId LIKE '%second' BEGIN SELECT RAISE(ABORT, 'refused'); END;";
            await command.ExecuteNonQueryAsync();
        }

        Task<string?> a, b;
        await using (await _table.Writes.HoldTurnAsync())
        {
            a = _table.UpsertRow(first);
            b = _table.UpsertRow(second);
        }

        await Assert.ThrowsAnyAsync<Microsoft.Data.Sqlite.SqliteException>(() => a);
        await Assert.ThrowsAnyAsync<Microsoft.Data.Sqlite.SqliteException>(() => b);
        Assert.Null(await _table.ReadRow(first.GrainId, "tick"));
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Autonomy.Ledger;
using Microsoft.Extensions.Time.Testing;

namespace Autonomy.Tests.Ledger;

public sealed class LedgerGroupCommitterTests
{
    [Fact]
    public async Task UnavailableStoreFailsEveryCallerOfTheBatchWithoutRetries()
    {
        var writer = new RecordingWriter { Fail = _ => new LedgerUnavailableException("down") };
        await using var committer = new LedgerGroupCommitter(writer, new FakeTimeProvider());

        Task[] appends;
        using (committer.Hold())
        {
            appends = [.. Enumerable.Range(0, 3).Select(i => committer.AppendAsync([Entry($"s{i}")]))];
        }

        foreach (var append in appends)
        {
            await Assert.ThrowsAsync<LedgerUnavailableException>(() => append);
        }

        Assert.Single(writer.Calls);
        Assert.Equal(0, committer.Transactions);
    }

    [Fact]
    public async Task BadDataFailsOnlyItsCallerAfterTheSharedTransactionFails()
    {
        var writer = new RecordingWriter
        {
            Fail = entries => entries.Any(e => e.StreamId == "bad") ? new ArgumentException("bad entry") : null,
        };
        await using var committer = new LedgerGroupCommitter(writer, new FakeTimeProvider());

        Task good1, bad, good2;
        using (committer.Hold())
        {
            good1 = committer.AppendAsync([Entry("a")]);
            bad = committer.AppendAsync([Entry("bad")]);
            good2 = committer.AppendAsync([Entry("b"), Entry("c")]);
        }

        await Task.WhenAll(good1, good2);
        await Assert.ThrowsAsync<ArgumentException>(() => bad);
        Assert.Equal([4, 1, 1, 2], writer.Calls.Select(c => c.Length));
        Assert.Equal(2, committer.Transactions);
        Assert.Equal(1, committer.SharedFailures);
    }

    [Fact]
    public async Task BatchesStayWithinTheEntryLimitButNeverSplitACaller()
    {
        var writer = new RecordingWriter();
        await using var committer = new LedgerGroupCommitter(writer, new FakeTimeProvider(), maxBatchEntries: 3);

        Task[] appends;
        using (committer.Hold())
        {
            appends =
            [
                committer.AppendAsync([Entry("a"), Entry("a")]),
                committer.AppendAsync([Entry("b")]),
                committer.AppendAsync([Entry("c"), Entry("c")]),
                committer.AppendAsync([Entry("d"), Entry("d"), Entry("d"), Entry("d")]),
            ];
        }

        await Task.WhenAll(appends);
        Assert.Equal([3, 2, 4], writer.Calls.Select(c => c.Length));
    }

    [Fact]
    public async Task AFullQueueRefusesAtOnceWithLedgerUnavailableInsteadOfWaiting()
    {
        var writer = new RecordingWriter();
        await using var committer = new LedgerGroupCommitter(writer, new FakeTimeProvider(), queueCapacity: 2);

        Task[] queued;
        Task refused;
        using (committer.Hold())
        {
            queued = [committer.AppendAsync([Entry("a")]), committer.AppendAsync([Entry("b")])];
            refused = committer.AppendAsync([Entry("c")]);

            // Refused while the store is still behind: the caller is not left waiting for it.
            Assert.True(refused.IsFaulted);
        }

        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(() => refused);
        Assert.Contains("behind", error.Message, StringComparison.Ordinal);
        await Task.WhenAll(queued);
        Assert.DoesNotContain(writer.Calls.SelectMany(c => c), e => e.StreamId == "c");
        Assert.Equal(1, committer.Refused);

        // Once the queue drained, appends are taken again.
        await committer.AppendAsync([Entry("d")]);
    }

    [Fact]
    public async Task TheQueueIsBoundedInBytesYetTakesOneAppendLargerThanTheBoundAlone()
    {
        var writer = new RecordingWriter();
        var large = new string('x', 4000);
        await using var committer = new LedgerGroupCommitter(writer, new FakeTimeProvider(), maxQueuedBytes: 4096);

        Task alone, refused;
        using (committer.Hold())
        {
            // About 8.5 KB: more than the bound, yet alone in the queue it is taken.
            alone = committer.AppendAsync([Entry("big", large)]);
            refused = committer.AppendAsync([Entry("small")]);
        }

        await alone;
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => refused);

        Task[] fits;
        using (committer.Hold())
        {
            // 516 bytes each: seven fit within 4096, the eighth does not.
            fits = [.. Enumerable.Range(0, 7).Select(i => committer.AppendAsync([Entry($"f{i}")]))];
            refused = committer.AppendAsync([Entry("f7")]);
        }

        await Task.WhenAll(fits);
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => refused);
        Assert.Equal(2, committer.Refused);
    }

    [Fact]
    public async Task CommitsRecordLagEntriesAndBatchSizeOnTheAutonomyMeter()
    {
        // Other tests commit in parallel on the same static instruments, so assert presence, not totals.
        var seen = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == LedgerMetrics.MeterName && instrument.Name.StartsWith("autonomy.ledger.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((i, value, _, _) => seen.AddOrUpdate(i.Name, value, (_, old) => Math.Max(old, value)));
        listener.SetMeasurementEventCallback<long>((i, value, _, _) => seen.AddOrUpdate(i.Name, value, (_, old) => Math.Max(old, value)));
        listener.SetMeasurementEventCallback<int>((i, value, _, _) => seen.AddOrUpdate(i.Name, value, (_, old) => Math.Max(old, value)));
        listener.Start();
        await using var committer = new LedgerGroupCommitter(new RecordingWriter(), new FakeTimeProvider());

        await committer.AppendAsync([Entry("a"), Entry("a"), Entry("a")]);

        Assert.True(seen.ContainsKey("autonomy.ledger.commit_lag"));
        Assert.True(seen.GetValueOrDefault("autonomy.ledger.entries") >= 3);
        Assert.True(seen.GetValueOrDefault("autonomy.ledger.batch_size") >= 3);
    }

    [Fact]
    public async Task TheWriterRunsOnTheCommittersOwnThreadNotOnTheThreadPool()
    {
        // SQLite writes synchronously: a pooled loop would hold one of the pool's few threads through every commit.
        var writer = new RecordingWriter();
        await using var committer = new LedgerGroupCommitter(writer, new FakeTimeProvider());

        await committer.AppendAsync([Entry("a")]);
        await committer.AppendAsync([Entry("b")]);

        Assert.Equal([false, false], writer.OnPoolThread);
    }

    private static LedgerEntry Entry(string stream, string payload = "{}") =>
        new("le_x", "t", stream, 1, null, "STEP", DateTimeOffset.UnixEpoch, "system", payload, LedgerHash.Genesis, "h");

    private sealed class RecordingWriter : ILedgerBatchWriter
    {
        public List<LedgerEntry[]> Calls { get; } = [];

        public List<bool> OnPoolThread { get; } = [];

        public Func<IReadOnlyList<LedgerEntry>, Exception?> Fail { get; init; } = _ => null;

        public ValueTask WriteAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
        {
            // Copy: the committer reuses its batch list.
            Calls.Add([.. entries]);
            OnPoolThread.Add(Thread.CurrentThread.IsThreadPoolThread);
            return Fail(entries) is { } error ? ValueTask.FromException(error) : ValueTask.CompletedTask;
        }
    }
}

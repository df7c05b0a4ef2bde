using Autonomy.Ledger;
using Microsoft.Extensions.Time.Testing;

namespace Autonomy.Tests.Ledger;

public sealed class LedgerStreamTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task AppendsChainSeqAndPrevHash()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteLedger(dir.File("ledger.db"), _time);
        var stream = new LedgerStream(ledger, _time, "t1", "account/t1/a1");

        var first = await stream.AppendAsync("SIGNAL_RECEIVED", "run-1", "system", new { kind = "email" });
        _time.Advance(TimeSpan.FromSeconds(1));
        var batch = await stream.AppendAsync([
            new LedgerDraft("POLICY_EVALUATED", "run-1", "system", new { result = "AUTO_EXECUTE" }),
            new LedgerDraft("ACTION_EXECUTED", "run-1", "system", new { ok = true }),
        ]);

        Assert.Equal(1, first.Seq);
        Assert.Equal(LedgerHash.Genesis, first.PrevHash);
        Assert.Equal([2L, 3L], batch.Select(e => e.Seq));
        Assert.Equal(first.Hash, batch[0].PrevHash);
        Assert.Equal(batch[0].Hash, batch[1].PrevHash);
        Assert.All(batch.Prepend(first), e => Assert.True(LedgerHash.IsValid(e)));
        Assert.Equal(3, stream.Seq);
        Assert.Equal(_time.GetUtcNow(), batch[0].At);
        Assert.StartsWith("le_", first.EntryId, StringComparison.Ordinal);

        var stored = await ledger.ReadStreamAsync("account/t1/a1", 0, 10);
        Assert.Equal(batch.Prepend(first), stored);
    }

    [Fact]
    public async Task NewStreamInstanceContinuesFromTheStoredHead()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        LedgerEntry last;
        await using (var ledger = new SqliteLedger(path, _time))
        {
            var stream = new LedgerStream(ledger, _time, "t1", "tenant/t1");
            await stream.InitializeAsync();
            await stream.AppendAsync("CONFIG_CHANGED", null, "user-7", new { version = 1 });
            last = await stream.AppendAsync("CONFIG_CHANGED", null, "user-7", new { version = 2 });
        }

        await using (var reopened = new SqliteLedger(path, _time))
        {
            // No InitializeAsync: the first append reads the head itself.
            var stream = new LedgerStream(reopened, _time, "t1", "tenant/t1");
            var next = await stream.AppendAsync("CONFIG_CHANGED", null, "user-7", new { version = 3 });

            Assert.Equal(3, next.Seq);
            Assert.Equal(last.Hash, next.PrevHash);
            Assert.Equal(new LedgerVerification(true, 3, null, null), (await reopened.VerifyAsync("t1")).Chains());
        }
    }

    [Fact]
    public async Task StaleWriterGetsConflictThenRereadsTheHead()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteLedger(dir.File("ledger.db"), _time);
        var current = new LedgerStream(ledger, _time, "t1", "seller/t1/s1");
        var stale = new LedgerStream(ledger, _time, "t1", "seller/t1/s1");
        await stale.InitializeAsync();
        await current.AppendAsync("QUEUED", null, "system", new { n = 1 });

        var conflict = await Assert.ThrowsAsync<LedgerConflictException>(
            () => stale.AppendAsync("QUEUED", null, "system", new { n = 2 }));
        var recovered = await stale.AppendAsync("QUEUED", null, "system", new { n = 2 });

        Assert.Equal(("seller/t1/s1", 1L), (conflict.StreamId, conflict.Seq));
        Assert.Equal(2, recovered.Seq);
        Assert.True((await ledger.VerifyAsync("t1")).Ok);
    }

    [Fact]
    public async Task WriteOfUnknownOutcomeNeverForksTheChain()
    {
        using var dir = new TempDirectory();
        await using var ledger = new SqliteLedger(dir.File("ledger.db"), _time);
        // The entry lands, but the caller hears a failure (a timeout after the commit, say).
        var flaky = new LostAcknowledgement(ledger);
        var stream = new LedgerStream(flaky, _time, "t1", "account/t1/a1");
        await stream.AppendAsync("A", null, "system", new { });

        flaky.LoseNext = true;
        await Assert.ThrowsAsync<TimeoutException>(() => stream.AppendAsync("B", null, "system", new { }));
        var after = await stream.AppendAsync("C", null, "system", new { });

        Assert.Equal(3, after.Seq);
        Assert.Equal(new LedgerVerification(true, 3, null, null), (await ledger.VerifyAsync("t1")).Chains());
    }

    [Fact]
    public async Task OverlappingAppendsAreRefused()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = new LedgerStream(new BlockedLedger(gate.Task), _time, "t1", "account/t1/a1");

        var first = stream.AppendAsync("A", null, "system", new { });
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.AppendAsync("B", null, "system", new { }));
        gate.SetResult();
        Assert.Equal(1, (await first).Seq);
    }

    private sealed class LostAcknowledgement(ILedger inner) : ForwardingLedger(inner)
    {
        public bool LoseNext { get; set; }

        public override async Task AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
        {
            await Inner.AppendAsync(entries, cancellationToken);
            if (LoseNext)
            {
                LoseNext = false;
                throw new TimeoutException("acknowledgement lost");
            }
        }
    }

    private sealed class BlockedLedger(Task gate) : ILedger
    {
        public Task AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default) => gate;

        public Task<LedgerHead?> ReadHeadAsync(string streamId, CancellationToken cancellationToken = default) =>
            Task.FromResult<LedgerHead?>(null);

        public Task<IReadOnlyList<LedgerEntry>> ReadStreamAsync(string streamId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<LedgerEntry> ExportAsync(string tenantId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<LedgerVerification> VerifyAsync(string tenantId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private abstract class ForwardingLedger(ILedger inner) : ILedger
    {
        protected ILedger Inner { get; } = inner;

        public virtual Task AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default) =>
            Inner.AppendAsync(entries, cancellationToken);

        public Task<LedgerHead?> ReadHeadAsync(string streamId, CancellationToken cancellationToken = default) =>
            Inner.ReadHeadAsync(streamId, cancellationToken);

        public Task<IReadOnlyList<LedgerEntry>> ReadStreamAsync(string streamId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
            Inner.ReadStreamAsync(streamId, afterSeq, limit, cancellationToken);

        public Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default) =>
            Inner.QueryAsync(query, cancellationToken);

        public IAsyncEnumerable<LedgerEntry> ExportAsync(string tenantId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default) =>
            Inner.ExportAsync(tenantId, from, to, cancellationToken);

        public Task<LedgerVerification> VerifyAsync(string tenantId, CancellationToken cancellationToken = default) =>
            Inner.VerifyAsync(tenantId, cancellationToken);
    }
}

using System.Threading.Channels;

namespace Autonomy.Ledger;

/// <summary>
/// What a store gives the group committer: write entries in ONE transaction, all or nothing. A duplicate
/// (stream, seq) throws <see cref="LedgerConflictException"/>; an unreachable store throws
/// <see cref="LedgerUnavailableException"/>; anything else is bad data. Called by one loop only, never
/// concurrently, so an implementation may keep one connection and its prepared commands.
/// </summary>
internal interface ILedgerBatchWriter
{
    ValueTask WriteAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken);
}

/// <summary>
/// Group commit for any store: callers enqueue their entries and wait; one loop drains whatever is queued
/// (up to a batch limit), writes it in one transaction and completes every caller. Under load many appends
/// share one transaction; alone, an append is written at once. If the shared transaction fails, each
/// caller's entries are retried in their own transaction, so one caller's conflict or bad data fails only
/// that caller.
/// </summary>
internal sealed class LedgerGroupCommitter : IAsyncDisposable
{
    private readonly ILedgerBatchWriter _writer;
    private readonly TimeProvider _time;
    private readonly int _maxBatchEntries;
    private readonly Channel<PendingAppend> _queue;
    private readonly Task _loop;
    private TaskCompletionSource? _hold;
    private long _transactions;
    private long _sharedFailures;

    public LedgerGroupCommitter(ILedgerBatchWriter writer, TimeProvider time, int maxBatchEntries = 4096, int queueCapacity = 8192)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchEntries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        _writer = writer;
        _time = time;
        _maxBatchEntries = maxBatchEntries;
        // Bounded so a store that cannot keep up pushes back on the grains instead of growing memory.
        _queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Transactions committed so far (shared or per caller); fewer than the entries when grouping works.</summary>
    internal long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Shared transactions that failed and were retried caller by caller.</summary>
    internal long SharedFailures => Interlocked.Read(ref _sharedFailures);

    /// <summary>Completes when the entries are durable; fails with the writer's exception for these entries.</summary>
    public Task AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        var pending = new PendingAppend(entries, _time.GetTimestamp());
        return _queue.Writer.TryWrite(pending) ? pending.Task : EnqueueSlowlyAsync(pending, cancellationToken);
    }

    /// <summary>Stops taking appends, writes everything already queued, then stops the loop.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        Release();
        await _loop;
    }

    /// <summary>Test hook: the loop waits until the returned handle is disposed, so queued appends share one batch.</summary>
    internal IDisposable Hold()
    {
        _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new HoldHandle(this);
    }

    private void Release() => Interlocked.Exchange(ref _hold, null)?.TrySetResult();

    private async Task EnqueueSlowlyAsync(PendingAppend pending, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw new LedgerUnavailableException("The ledger is shut down.", ex);
        }

        await pending.Task;
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>();
        var entries = new List<LedgerEntry>();
        while (await reader.WaitToReadAsync())
        {
            if (Volatile.Read(ref _hold) is { } hold)
            {
                await hold.Task;
            }

            batch.Clear();
            entries.Clear();
            // Take whatever is queued; the first caller always fits, later ones only while under the limit.
            while (reader.TryPeek(out var next) && (entries.Count == 0 || entries.Count + next.Entries.Count <= _maxBatchEntries))
            {
                reader.TryRead(out _);
                batch.Add(next);
                entries.AddRange(next.Entries);
            }

            try
            {
                await CommitAsync(batch, entries);
            }
            catch (Exception ex)
            {
                // Never let the loop die: every later caller would wait forever.
                foreach (var pending in batch)
                {
                    pending.TrySetException(ex);
                }
            }
        }
    }

    private async Task CommitAsync(List<PendingAppend> batch, List<LedgerEntry> entries)
    {
        try
        {
            await _writer.WriteAsync(entries, CancellationToken.None);
            Committed(entries.Count);
            foreach (var pending in batch)
            {
                Complete(pending);
            }

            return;
        }
        catch (LedgerUnavailableException ex)
        {
            // The store is down for everyone: retrying caller by caller would only delay the answer.
            foreach (var pending in batch)
            {
                pending.TrySetException(ex);
            }

            return;
        }
        catch (Exception ex) when (batch.Count == 1)
        {
            batch[0].TrySetException(ex);
            return;
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _sharedFailures);
        }

        foreach (var pending in batch)
        {
            try
            {
                await _writer.WriteAsync(pending.Entries, CancellationToken.None);
                Committed(pending.Entries.Count);
                Complete(pending);
            }
            catch (Exception ex)
            {
                pending.TrySetException(ex);
            }
        }
    }

    private void Committed(int entryCount)
    {
        Interlocked.Increment(ref _transactions);
        LedgerMetrics.BatchSize.Record(entryCount);
        LedgerMetrics.Entries.Add(entryCount);
    }

    private void Complete(PendingAppend pending)
    {
        LedgerMetrics.CommitLag.Record(_time.GetElapsedTime(pending.EnqueuedAt).TotalMilliseconds);
        pending.TrySetResult();
    }

    // The caller's completion and its entries in one object: one allocation per append.
    private sealed class PendingAppend(IReadOnlyList<LedgerEntry> entries, long enqueuedAt)
        : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public IReadOnlyList<LedgerEntry> Entries { get; } = entries;

        public long EnqueuedAt { get; } = enqueuedAt;
    }

    private sealed class HoldHandle(LedgerGroupCommitter committer) : IDisposable
    {
        public void Dispose() => committer.Release();
    }
}

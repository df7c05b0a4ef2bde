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
/// that caller. The queue is bounded in appends and in bytes: when the store falls behind, an append that would
/// exceed either bound is refused at once with <see cref="LedgerUnavailableException"/> (the API's 503 with
/// Retry-After) rather than waiting without bound or growing memory.
/// </summary>
internal sealed class LedgerGroupCommitter : IAsyncDisposable
{
    private readonly ILedgerBatchWriter _writer;
    private readonly TimeProvider _time;
    private readonly int _maxBatchEntries;
    /// <summary>The bytes of entries (as .NET strings, roughly) that may wait for the writer: 64 MiB.</summary>
    public const long DefaultMaxQueuedBytes = 64L * 1024 * 1024;

    /// <summary>Bytes counted per entry beyond its payload: ids, hashes, type, actor, time.</summary>
    private const int EntryOverheadBytes = 512;

    private readonly long _maxQueuedBytes;
    private readonly Channel<PendingAppend> _queue;
    private readonly Task _loop;
    private TaskCompletionSource? _hold;
    private long _transactions;
    private long _sharedFailures;
    private long _queuedBytes;
    private long _refused;
    private volatile bool _closed;

    public LedgerGroupCommitter(
        ILedgerBatchWriter writer, TimeProvider time, int maxBatchEntries = 4096, int queueCapacity = 8192, long maxQueuedBytes = DefaultMaxQueuedBytes)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchEntries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueuedBytes, 1);
        _writer = writer;
        _time = time;
        _maxBatchEntries = maxBatchEntries;
        _maxQueuedBytes = maxQueuedBytes;
        // Bounded in appends here and in bytes in AppendAsync: a full queue refuses, so nobody waits without bound.
        _queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            // The only continuation is the loop's wait (appenders never wait to write): it wakes the loop's thread inline.
            AllowSynchronousContinuations = true,
        });
        _loop = StartLoop();
    }

    /// <summary>Appends refused because the queue was full (the store behind).</summary>
    internal long Refused => Interlocked.Read(ref _refused);

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

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var bytes = SizeOf(entries);
        var queued = Interlocked.Add(ref _queuedBytes, bytes);
        var pending = new PendingAppend(entries, _time.GetTimestamp(), bytes);

        // The first append always fits, however large: alone in the queue it waits for nobody else.
        if ((queued <= _maxQueuedBytes || queued == bytes) && _queue.Writer.TryWrite(pending))
        {
            return pending.Task;
        }

        Interlocked.Add(ref _queuedBytes, -bytes);
        if (_closed)
        {
            return Task.FromException(new LedgerUnavailableException("The ledger is shut down."));
        }

        Interlocked.Increment(ref _refused);
        LedgerMetrics.Refused.Add(1);
        return Task.FromException(new LedgerUnavailableException(
            "The ledger is behind: as many appends as it queues already wait for the store, so this one was refused rather than queued. Retry shortly."));
    }

    /// <summary>Stops taking appends, writes everything already queued, then stops the loop.</summary>
    public async ValueTask DisposeAsync()
    {
        _closed = true;
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

    /// <summary>
    /// The loop runs on a thread of its own, not on the thread pool: SQLite writes synchronously, so a pooled loop would
    /// hold one of the pool's few threads (two on two cores) for most of every commit, and each wake-up would queue behind
    /// the grains' work items. Here an append wakes the thread directly (the queue runs its reader's continuation inline).
    /// </summary>
    private Task StartLoop()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "Ledger group commit",
        };
        thread.Start();
        return done.Task;
    }

    private void Run()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>();
        var entries = new List<LedgerEntry>();
        while (WaitToRead(reader))
        {
            if (Volatile.Read(ref _hold) is { } hold)
            {
                hold.Task.Wait();
            }

            batch.Clear();
            entries.Clear();
            // Take whatever is queued; the first caller always fits, later ones only while under the limit.
            while (reader.TryPeek(out var next) && (entries.Count == 0 || entries.Count + next.Entries.Count <= _maxBatchEntries))
            {
                reader.TryRead(out _);
                Interlocked.Add(ref _queuedBytes, -next.Bytes);
                batch.Add(next);
                entries.AddRange(next.Entries);
            }

            try
            {
                // A store that writes synchronously (SQLite) completes here without blocking on anything else.
                CommitAsync(batch, entries).GetAwaiter().GetResult();
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

    /// <summary>Blocks the loop's own thread until an append is queued (true) or the queue is closed and empty (false).</summary>
    private static bool WaitToRead(ChannelReader<PendingAppend> reader)
    {
        var wait = reader.WaitToReadAsync();
        return wait.IsCompleted ? wait.GetAwaiter().GetResult() : wait.AsTask().GetAwaiter().GetResult();
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

    /// <summary>What the entries take in memory, roughly: their payloads as UTF-16 and a fixed overhead each.</summary>
    private static long SizeOf(IReadOnlyList<LedgerEntry> entries)
    {
        long bytes = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            bytes += EntryOverheadBytes + (2L * entries[i].Payload.Length);
        }

        return bytes;
    }

    // The caller's completion and its entries in one object: one allocation per append.
    private sealed class PendingAppend(IReadOnlyList<LedgerEntry> entries, long enqueuedAt, long bytes)
        : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public IReadOnlyList<LedgerEntry> Entries { get; } = entries;

        public long EnqueuedAt { get; } = enqueuedAt;

        public long Bytes { get; } = bytes;
    }

    private sealed class HoldHandle(LedgerGroupCommitter committer) : IDisposable
    {
        public void Dispose() => committer.Release();
    }
}

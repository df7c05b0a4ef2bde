using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Orleans.Runtime;

namespace Autonomy.Hosting;

/// <summary>
/// The writes of <see cref="SqliteReminderTable"/>, committed in groups: every upsert and removal waiting when the
/// writer's turn comes is written in one transaction, in arrival order, through one prepared statement of each kind.
/// A new account registers its tick reminder on its first signal, so at thousands of new accounts a second this is
/// thousands of one-row transactions otherwise, each preparing its statement again and writing its pages to the WAL.
/// </summary>
/// <remarks>
/// No thread of its own: a caller queues its write, then waits for the turn (one writer at a time: SQLite has one write
/// lock, and a second writer would meet Microsoft.Data.Sqlite's blocking busy retry). Whoever holds the turn writes
/// everything queued, its own write included unless an earlier holder already wrote it. The queue holds at most one
/// write per waiting caller. A write whose caller gave up (cancelled) before its group began is not written. A failed
/// transaction writes nothing of its group and fails every write in it with the same exception.
/// </remarks>
internal sealed class SqliteReminderWriter(string connectionString, string serviceId)
{
    private readonly ConcurrentQueue<Write> _queue = new();
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>How many transactions have been committed (for tests: a group is one).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);
    private long _transactions;

    public Task UpsertAsync(ReminderEntry entry, DateTime startAt, string etag, CancellationToken cancellationToken) =>
        RunAsync(new Write(entry.GrainId, entry.ReminderName, etag, startAt.Ticks, entry.Period.Ticks, Remove: false, cancellationToken));

    public Task<bool> RemoveAsync(GrainId grainId, string reminderName, string etag, CancellationToken cancellationToken) =>
        RunAsync(new Write(grainId, reminderName, etag, 0, 0, Remove: true, cancellationToken));

    /// <summary>Takes the writer's turn until disposed (tests: writes queued meanwhile go in the next group).</summary>
    internal async Task<IAsyncDisposable> HoldTurnAsync()
    {
        await _turn.WaitAsync();
        return new Turn(_turn);
    }

    private async Task<bool> RunAsync(Write write)
    {
        _queue.Enqueue(write);
        await _turn.WaitAsync(write.Cancellation);
        try
        {
            if (!write.Done.Task.IsCompleted)
            {
                await WriteQueuedAsync();
            }
        }
        finally
        {
            _turn.Release();
        }

        return await write.Done.Task;
    }

    private async Task WriteQueuedAsync()
    {
        var group = new List<Write>();
        while (_queue.TryDequeue(out var queued))
        {
            if (queued.Cancellation.IsCancellationRequested)
            {
                queued.Done.TrySetCanceled(queued.Cancellation);
            }
            else
            {
                group.Add(queued);
            }
        }

        if (group.Count == 0)
        {
            return;
        }

        var results = new bool[group.Count];
        try
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(CancellationToken.None);
            await SqliteDatabase.UseWalDurabilityAsync(connection, CancellationToken.None);
            await using var transaction = connection.BeginTransaction();
            await using var upsert = Command(connection, transaction, """
                INSERT INTO OrleansReminders (ServiceId, GrainId, ReminderName, GrainHash, StartAtTicks, PeriodTicks, ETag)
                VALUES ($serviceId, $grainId, $name, $hash, $startAt, $period, $etag)
                ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE SET
                    GrainHash = excluded.GrainHash,
                    StartAtTicks = excluded.StartAtTicks,
                    PeriodTicks = excluded.PeriodTicks,
                    ETag = excluded.ETag
                """, "$hash", "$startAt", "$period");
            await using var delete = Command(connection, transaction, """
                DELETE FROM OrleansReminders
                WHERE ServiceId = $serviceId AND GrainId = $grainId AND ReminderName = $name AND ETag = $etag
                """);
            for (var i = 0; i < group.Count; i++)
            {
                var write = group[i];
                var command = write.Remove ? delete : upsert;
                command.Parameters["$grainId"].Value = write.GrainId.ToString();
                command.Parameters["$name"].Value = write.Name;
                command.Parameters["$etag"].Value = write.ETag;
                if (!write.Remove)
                {
                    command.Parameters["$hash"].Value = (long)write.GrainId.GetUniformHashCode();
                    command.Parameters["$startAt"].Value = write.StartAtTicks;
                    command.Parameters["$period"].Value = write.PeriodTicks;
                }

                results[i] = command.ExecuteNonQuery() > 0;
            }

            await transaction.CommitAsync(CancellationToken.None);
            Interlocked.Increment(ref _transactions);
        }
        catch (Exception ex)
        {
            foreach (var write in group)
            {
                write.Done.TrySetException(ex);
            }

            return;
        }

        for (var i = 0; i < group.Count; i++)
        {
            group[i].Done.TrySetResult(results[i]);
        }
    }

    /// <summary>A statement with its parameters, prepared once for the whole group.</summary>
    private SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] more)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$serviceId", serviceId);
        foreach (var name in (string[])["$grainId", "$name", "$etag", .. more])
        {
            command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        }

        command.Prepare();
        return command;
    }

    private sealed class Turn(SemaphoreSlim turn) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            turn.Release();
            return ValueTask.CompletedTask;
        }
    }

    private sealed record Write(GrainId GrainId, string Name, string ETag, long StartAtTicks, long PeriodTicks, bool Remove, CancellationToken Cancellation)
    {
        /// <summary>Completed off the writer's turn, so a caller's continuation never runs inside another's write.</summary>
        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

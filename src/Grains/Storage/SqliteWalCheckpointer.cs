using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Autonomy.Ledger;

/// <summary>
/// Takes the WAL's checkpoints off the ledger writer's commits. By default SQLite checkpoints inside the commit that
/// takes the WAL past 1,000 pages: that commit copies the pages into the database file and syncs both files while every
/// appender waits. A group commit of ~40 entries from ~40 streams dirties ~80 random index pages, so that happened every
/// dozen transactions and was most of a commit's time. Here the writer's connection reports its WAL size after each
/// commit (<c>sqlite3_wal_hook</c>, which replaces the automatic checkpoint); past <see cref="BackgroundPages"/> a thread
/// of its own runs a PASSIVE checkpoint on a connection of its own, concurrently with the writer (WAL lets a checkpoint
/// run beside a writer). Under continuous load that checkpoint always ends a few commits behind, so the WAL cannot start
/// over from its beginning; past <see cref="WriterPages"/> the writer checkpoints in its commit as before (copying only
/// what the thread has not), which restarts the WAL: it stays bounded. Durability is unchanged: a commit is in the WAL,
/// which survives a process crash (<c>synchronous=NORMAL</c>) whether or not it has been checkpointed yet.
/// If the hook cannot be installed the writer keeps SQLite's automatic checkpoint.
/// </summary>
internal sealed class SqliteWalCheckpointer : IDisposable
{
    /// <summary>WAL pages after which the thread checkpoints: SQLite's own automatic threshold.</summary>
    public const int BackgroundPages = 1000;

    /// <summary>WAL pages after which the writer checkpoints in its commit, as SQLite would by itself at 1,000.</summary>
    public const int WriterPages = 4 * BackgroundPages;

    private const int Ok = 0;
    private const int CheckpointPassive = 0;

    // One delegate for every writer: kept alive for the process, since native code holds a pointer to it.
    private static readonly WalHook Hook = OnCommit;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly Thread _thread;
    private GCHandle _self;
    private volatile bool _stopped;
    private int _pending;

    public SqliteWalCheckpointer(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 5,
        }.ToString();
        _thread = new Thread(Run) { IsBackground = true, Name = "Ledger WAL checkpoint" };
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int WalHook(IntPtr state, IntPtr db, IntPtr databaseName, int pages);

    /// <summary>Checkpoints the thread has run (a test and benchmark figure).</summary>
    internal long Checkpoints { get; private set; }

    /// <summary>Installs the hook on the writer's connection; false (SQLite's automatic checkpoint kept) if it cannot be.</summary>
    public bool Attach(SqliteConnection writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (!_self.IsAllocated)
        {
            _self = GCHandle.Alloc(this);
            _thread.Start();
        }

        try
        {
            NativeMethods.sqlite3_wal_hook(writer.Handle!.DangerousGetHandle(), Hook, GCHandle.ToIntPtr(_self));
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _stopped = true;
        if (_self.IsAllocated)
        {
            Signal();
            _thread.Join();
            _self.Free();
        }

        _signal.Dispose();
    }

    // Runs inside the writer's commit, on its thread: never throws into SQLite.
    private static int OnCommit(IntPtr state, IntPtr db, IntPtr databaseName, int pages)
    {
        try
        {
            if (pages >= WriterPages)
            {
                NativeMethods.sqlite3_wal_checkpoint_v2(db, databaseName, CheckpointPassive, out _, out _);
            }
            else if (pages >= BackgroundPages && GCHandle.FromIntPtr(state).Target is SqliteWalCheckpointer checkpointer)
            {
                checkpointer.Signal();
            }
        }
        catch (Exception)
        {
            // A checkpoint not taken now is taken by a later commit or at close; the commit itself succeeded.
        }

        return Ok;
    }

    private void Signal()
    {
        // At most one signal waits: commits while a checkpoint runs ask for one more, not one each.
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _signal.Release();
        }
    }

    private void Run()
    {
        SqliteConnection? connection = null;
        try
        {
            while (true)
            {
                _signal.Wait();
                Volatile.Write(ref _pending, 0);
                if (_stopped)
                {
                    return;
                }

                try
                {
                    connection ??= Open();
                    using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                    command.ExecuteNonQuery();
                    Checkpoints++;
                }
                catch (SqliteException)
                {
                    // The file is unavailable for now: the writer's own checkpoint bounds the WAL meanwhile.
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static class NativeMethods
    {
        [DllImport("e_sqlite3", CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr sqlite3_wal_hook(IntPtr db, WalHook callback, IntPtr state);

        [DllImport("e_sqlite3", CallingConvention = CallingConvention.Cdecl)]
        public static extern int sqlite3_wal_checkpoint_v2(IntPtr db, IntPtr databaseName, int mode, out int logPages, out int checkpointedPages);
    }
}

using System.Data.Common;
using Microsoft.Data.Sqlite;
using Orleans.Runtime;

namespace Autonomy.Hosting;

/// <summary>
/// Orleans' reminder table on one SQLite file (schema in deploy/sql/sqlite/reminders.sql), for the
/// embedded mode. Rows belong to one service id, so two services may share the file without seeing each other.
/// </summary>
/// <remarks>
/// Follows the contract Orleans' own tables keep: an upsert replaces the row whatever its ETag and returns a
/// new one; a removal succeeds only with the current ETag; a range read returns the grains whose
/// <see cref="GrainId.GetUniformHashCode"/> lies in the ring range (begin, end], which wraps past
/// <see cref="uint.MaxValue"/> when begin &gt;= end (begin == end is the whole ring).
/// <para>
/// With <paramref name="dueWithin"/>, a range read returns only the reminders whose next tick is at most that far
/// away (computed in SQL as Orleans computes it: the start if it is ahead, else the next start + n × period). Orleans'
/// reminder service keeps in memory only reminders due within its loading window and drops the rest of every range
/// read, which it repeats every refresh period; at a million accounts that read was a million rows, hundreds of MB
/// and seconds of a thread every five minutes. The silo passes the loading window plus the refresh period, so every
/// row Orleans would keep is still returned. A grain's own read (<see cref="ReadRows(GrainId)"/>) returns all of its rows.
/// </para>
/// </remarks>
public sealed class SqliteReminderTable(string databasePath, string serviceId, TimeProvider? timeProvider = null, TimeSpan? dueWithin = null) : IReminderTable
{
    private const string Columns = "GrainId, ReminderName, StartAtTicks, PeriodTicks, ETag";

    private readonly string _connectionString = SqliteDatabase.ConnectionString(databasePath);

    /// <summary>Upserts and removals, committed in groups by one writer at a time (<see cref="SqliteReminderWriter"/>).</summary>
    private readonly SqliteReminderWriter _writes = new(SqliteDatabase.ConnectionString(databasePath), serviceId);

    /// <summary>The writer (tests: its turn and its transaction count).</summary>
    internal SqliteReminderWriter Writes => _writes;

    /// <summary>Applies reminders.sql; Orleans calls this before the reminder service first reads the table.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) =>
        SqliteDatabase.ApplyScriptAsync(_connectionString, "reminders.sql", cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken) =>
        ReadManyAsync(
            $"SELECT {Columns} FROM OrleansReminders WHERE ServiceId = $serviceId AND GrainId = $grainId",
            command => command.Parameters.AddWithValue("$grainId", grainId.ToString()),
            cancellationToken);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken)
    {
        var range = begin < end
            ? "GrainHash > $begin AND GrainHash <= $end"
            : "(GrainHash > $begin OR GrainHash <= $end)";
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow().UtcDateTime.Ticks;
        return ReadManyAsync(
            $"SELECT {Columns} FROM OrleansReminders WHERE ServiceId = $serviceId AND {range}{(dueWithin is null ? "" : DueFilter)}",
            command =>
            {
                command.Parameters.AddWithValue("$begin", (long)begin);
                command.Parameters.AddWithValue("$end", (long)end);
                if (dueWithin is { } window)
                {
                    command.Parameters.AddWithValue("$now", now);
                    command.Parameters.AddWithValue("$horizon", now + Math.Max(0, window.Ticks));
                }
            },
            cancellationToken);
    }

    /// <summary>
    /// The next tick at or after $now no later than $horizon, in ticks: the start when it is still ahead, otherwise
    /// now plus what is left of the current period (0 when now is exactly on a tick). A period that is not positive
    /// is left for Orleans to judge.
    /// </summary>
    private const string DueFilter = """
         AND (PeriodTicks <= 0
              OR (CASE WHEN StartAtTicks >= $now THEN StartAtTicks
                       ELSE $now + (PeriodTicks - ($now - StartAtTicks) % PeriodTicks) % PeriodTicks END) <= $horizon)
        """;

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) =>
        ReadRow(grainId, reminderName, CancellationToken.None);

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        var rows = await ReadManyAsync(
            $"SELECT {Columns} FROM OrleansReminders WHERE ServiceId = $serviceId AND GrainId = $grainId AND ReminderName = $name",
            command =>
            {
                command.Parameters.AddWithValue("$grainId", grainId.ToString());
                command.Parameters.AddWithValue("$name", reminderName);
            },
            cancellationToken);
        return rows.Reminders.SingleOrDefault();
    }

    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    public async Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var etag = Guid.NewGuid().ToString("N");
        // Orleans hands in UTC (or Unspecified meaning UTC); only a Local time needs converting.
        var startAt = entry.StartAt.Kind == DateTimeKind.Local ? entry.StartAt.ToUniversalTime() : entry.StartAt;
        await _writes.UpsertAsync(entry, startAt, etag, cancellationToken);
        return etag;
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken) =>
        _writes.RemoveAsync(grainId, reminderName, eTag, cancellationToken);

    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    public async Task TestOnlyClearTable(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "DELETE FROM OrleansReminders WHERE ServiceId = $serviceId");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<ReminderTableData> ReadManyAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, sql);
        bind(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<ReminderEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(ToEntry(reader));
        }

        return new ReminderTableData(entries);
    }

    private static ReminderEntry ToEntry(DbDataReader row) => new()
    {
        GrainId = GrainId.Parse(row.GetString(0)),
        ReminderName = row.GetString(1),
        StartAt = new DateTime(row.GetInt64(2), DateTimeKind.Utc),
        Period = TimeSpan.FromTicks(row.GetInt64(3)),
        ETag = row.GetString(4),
    };

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            // Reads (and the tests' clear) only: the writes go through the writer, which sets the WAL durability.
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$serviceId", serviceId);
        return command;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Storage;

namespace Autonomy.Hosting;

/// <summary>The embedded storage mode: one process, no server, grain state and reminders in SQLite files.</summary>
public static class EmbeddedStorage
{
    /// <summary>The grain storage name every grain's <c>[PersistentState(..., "autonomy")]</c> uses.</summary>
    public const string GrainStorageName = "autonomy";

    /// <summary>The name of Orleans' ADO.NET provider underneath <see cref="GrainStorageName"/>; no stored row carries it.</summary>
    private const string SqliteGrainStorageName = "autonomy-sqlite";

    /// <summary>Orleans' ADO.NET invariant for SQLite; Orleans loads Microsoft.Data.Sqlite for it.</summary>
    private const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>
    /// Localhost clustering with the fixed service and cluster ids, the "autonomy" grain storage in
    /// <c>{DataDirectory}/grains.db</c> and reminders in <c>{DataDirectory}/reminders.db</c>; creates the
    /// directory when missing. Reminder options are the caller's: a test that needs short reminders
    /// configures <see cref="ReminderOptions.MinimumReminderPeriod"/> on the same silo builder.
    /// </summary>
    /// <remarks>
    /// Grain state goes through Orleans' own ADO.NET provider, which reads its statements from the
    /// OrleansQuery table when it starts (stage <see cref="AdoNetGrainStorageOptions.InitStage"/>,
    /// ApplicationServices by default). storage.sql is applied by a lifecycle participant at
    /// RuntimeInitialize: the silo awaits each stage before the next, so the queries are there in time, and
    /// the I/O happens when the silo starts, where a failure stops the start with its cause, rather than
    /// while the host is composed. The reminder table applies reminders.sql itself in StartAsync, which
    /// Orleans calls before the reminder service reads. Both files are separate so that reminder writes never
    /// wait on grain writes for SQLite's single write lock.
    /// </remarks>
    public static ISiloBuilder UseAutonomyEmbeddedStorage(this ISiloBuilder silo, AutonomyOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);

        var directory = Directory.CreateDirectory(Path.GetFullPath(options.DataDirectory)).FullName;
        var grainsConnectionString = SqliteDatabase.ConnectionString(Path.Combine(directory, "grains.db"));
        var remindersPath = Path.Combine(directory, "reminders.db");

        silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);

        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new GrainStorageSchema(grainsConnectionString));
        silo.AddAdoNetGrainStorage(SqliteGrainStorageName, storage =>
        {
            storage.Invariant = SqliteInvariant;
            storage.ConnectionString = grainsConnectionString;
        });
        // One writer at a time, so no write waits out Microsoft.Data.Sqlite's blocking busy retry (SingleWriterGrainStorage).
        silo.Services.AddKeyedSingleton<IGrainStorage>(GrainStorageName, (sp, _) =>
            new SingleWriterGrainStorage(sp.GetRequiredKeyedService<IGrainStorage>(SqliteGrainStorageName)));

        silo.AddReminders();
        // The service id the silo actually runs with, the same one the grain storage keys its rows by. Range reads
        // return only what the reminder service would keep: reminders due within its loading window, plus a refresh
        // period of margin (SqliteReminderTable), on the clock the reminder service reads.
        silo.Services.AddSingleton<IReminderTable>(services =>
        {
            var reminders = services.GetRequiredService<IOptions<ReminderOptions>>().Value;
            return new SqliteReminderTable(
                remindersPath,
                services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
                services.GetService<TimeProvider>(),
                reminders.ReminderLoadingWindow + reminders.RefreshReminderListPeriod);
        });

        return silo;
    }

    /// <summary>Applies storage.sql to grains.db before the ADO.NET grain storage reads its queries.</summary>
    private sealed class GrainStorageSchema(string connectionString) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(
                nameof(GrainStorageSchema),
                ServiceLifecycleStage.RuntimeInitialize,
                cancellationToken => SqliteDatabase.ApplyScriptAsync(connectionString, "storage.sql", cancellationToken));
    }
}

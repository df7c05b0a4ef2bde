using Autonomy.Actions;
using Autonomy.Connectors;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace Autonomy.Hosting;

/// <summary>The one way to build an Autonomy silo, used by the silo host and by the gateway in embedded mode.</summary>
public static class SiloComposition
{
    /// <summary>The grain addresses an embedded silo caches (recently called grains; Orleans' default is a million).</summary>
    public const int EmbeddedDirectoryCacheSize = 20_000;

    /// <summary>
    /// Adds Autonomy's grains, seams, ledger and storage for the configured mode (section "Autonomy"):
    /// embedded keeps grain state, reminders and the ledger in SQLite files under <c>Autonomy:DataDirectory</c>.
    /// </summary>
    public static ISiloBuilder AddAutonomySilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(AutonomyOptions.Section).Get<AutonomyOptions>() ?? new AutonomyOptions();
        var services = silo.Services;

        services.AddOptions<AutonomyOptions>().Bind(configuration.GetSection(AutonomyOptions.Section));
        services.AddOptions<AutonomyEngineOptions>().Bind(configuration.GetSection(AutonomyEngineOptions.Section));
        services.AddOptions<Learning.LearningOptions>().Bind(configuration.GetSection(Learning.LearningOptions.Section));
        services.TryAddKeyedSingleton(AutonomyClock.Key, TimeProvider.System);
        services.AddOptions<LedgerCheckpointOptions>().Bind(configuration.GetSection(LedgerCheckpointOptions.Section));

        // Resolved now, so a cluster silo without a checkpoint key fails at start rather than at its first checkpoint.
        var checkpointKeys = CheckpointKeys.Resolve(configuration);
        services.TryAddSingleton(checkpointKeys);

        // Resolved now, so a cluster silo without a key ring for tenant secrets fails at start, saying what to set.
        var secrets = SecretsAtRest.Resolve(configuration);
        services.TryAddSingleton(secrets);

        switch (options.Mode)
        {
            case AutonomyMode.Embedded:
                // The folder and its databases owner-only before any store opens them.
                OwnerOnly.PrepareDataDirectory(options.DataDirectory, "grains.db", "reminders.db", "ledger.db");
                silo.UseAutonomyEmbeddedStorage(options);
                var ledgerPath = Path.Combine(Path.GetFullPath(options.DataDirectory), "ledger.db");
                services.TryAddSingleton<ILedger>(sp => new SqliteLedger(ledgerPath, sp.GetRequiredService<TimeProvider>()) { CheckpointKeys = checkpointKeys });
                break;
            case AutonomyMode.Cluster:
                var connectionString = ClusterConnectionString(configuration);
                silo.UseAutonomyClusterStorage(options, connectionString);
                var longReads = LongReadConnectionString(configuration);
                services.TryAddSingleton<ILedger>(sp => new PostgresLedger(connectionString, sp.GetRequiredService<TimeProvider>(), longReadConnectionString: longReads) { CheckpointKeys = checkpointKeys });
                break;
            default:
                throw new NotSupportedException($"Autonomy:Mode={options.Mode} is not a storage mode; use Embedded or Cluster.");
        }

        // Orleans' own version-tolerant binary format for grain state: every state type is [GenerateSerializer]
        // with stable [Id]s, and immutable collections round-trip exactly (the JSON default does not).
        // Secrets a state holds (IHoldsSecrets) are encrypted on the way to storage and decrypted on the way back.
        services.AddSingleton<IGrainStorageSerializer>(sp =>
            new SecretSealingSerializer(ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(sp), sp.GetRequiredService<SecretsAtRest>()));

        // A database failure under a grain (grain storage on PostgreSQL) reaches the gateway as itself, so it is
        // answered 503, not 500: without this Orleans has no codec for Npgsql's exceptions and sends its own instead.
        services.Configure<ExceptionSerializationOptions>(StoreFailures.Carry);

        // Failure detection well inside the gateway's retry deadline (MembershipDefaults); Orleans' own tuning stays
        // reachable from configuration over it, e.g. --Orleans:ClusterMembership:ProbeTimeout=00:00:05.
        services.AddOptions<ClusterMembershipOptions>().Configure(MembershipDefaults.Apply).Bind(configuration.GetSection("Orleans:ClusterMembership"));
        // Memory bounded by the active set: idle accounts deactivate after Orleans' collection age (15 minutes) and
        // their reminder wakes them; past 80% of the machine's (or container's) memory the least recently used
        // activations are shed too (their state is written on deactivation, the ledger replays the rest), down to 75%.
        services.AddOptions<GrainCollectionOptions>().Configure(o => o.EnableActivationSheddingOnMemoryPressure = true).Bind(configuration.GetSection("Orleans:GrainCollection"));
        // The directory's cache of grain addresses holds an entry for every grain called (Orleans' default: a million,
        // about 400 bytes each, so it outgrew the activations it points at). A lone embedded silo finds its own
        // activations without it, so there it keeps only the recently called; --Orleans:GrainDirectory:CacheSize sets it.
        var grainDirectory = services.AddOptions<GrainDirectoryOptions>();
        if (options.Mode == AutonomyMode.Embedded) grainDirectory.Configure(o => o.CacheSize = EmbeddedDirectoryCacheSize);
        grainDirectory.Bind(configuration.GetSection("Orleans:GrainDirectory"));
        services.AddOptions<SiloMessagingOptions>().Configure(o => o.ResponseTimeout = TimeSpan.FromSeconds(30)).Bind(configuration.GetSection("Orleans:Messaging"));

        if (configuration.GetValue<TimeSpan?>("Autonomy:MinimumReminderPeriod") is { } minimum)
        {
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = minimum);
        }

        services.TryAddSingleton<IDecisionEngine, PlaybookEngine>();
        services.TryAddSingleton<InternalExecutor>();
        services.TryAddSingleton<WebhookExecutor>();
        services.AddWebhookClient(configuration);
        services.AddChatEngine(configuration);
        services.AddConnectors();
        services.TryAddSingleton<LedgerCheckpointAnchor>();
        services.TryAddSingleton<LedgerAnchorHealth>();
        services.AddHealthChecks().AddCheck<LedgerAnchorHealthCheck>(LedgerAnchorHealthCheck.Name, tags: ["ready"]);

        silo.AddActivityPropagation();
        silo.AddLiveStreams();
        OperatorDashboardOptions.AddTo(silo, configuration);
        return silo;
    }

    /// <summary>
    /// The ledger's long reads' own connection string (<c>ConnectionStrings:AutonomyLongReads</c>: its own pool size or role; the same database, never a replica that lags), or
    /// null: the cluster's database, on a pool of their own.
    /// </summary>
    public static string? LongReadConnectionString(IConfiguration configuration) =>
        configuration["ConnectionStrings:AutonomyLongReads"] is { Length: > 0 } cs ? cs : null;

    /// <summary>The PostgreSQL connection string of cluster mode, or a message naming the missing setting.</summary>
    public static string ClusterConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString(AutonomyOptions.ConnectionStringName) is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("Autonomy:Mode=Cluster needs ConnectionStrings:Autonomy (a PostgreSQL connection string), e.g. --ConnectionStrings:Autonomy=\"Host=db;Username=autonomy;Password=...;Database=autonomy\".");
}

using Autonomy.Ledger;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using Orleans.Serialization;

namespace Autonomy.Hosting;

/// <summary>The one way to build an Orleans client of an Autonomy cluster (the gateway in cluster mode).</summary>
public static class ClientComposition
{
    /// <summary>
    /// Joins the cluster through the PostgreSQL membership table and registers the ledger for reads (the gateway
    /// reads, explains, exports and verifies the ledger directly; only grains write it).
    /// </summary>
    public static IClientBuilder AddAutonomyClient(this IClientBuilder client, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(AutonomyOptions.Section).Get<AutonomyOptions>() ?? new AutonomyOptions();
        var connectionString = SiloComposition.ClusterConnectionString(configuration);

        client.Configure<ClusterOptions>(o =>
        {
            o.ServiceId = options.ServiceId;
            o.ClusterId = options.ClusterId;
        });
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = ClusterStorage.Invariant;
            o.ConnectionString = connectionString;
        });
        client.AddActivityPropagation();
        client.AddLiveStreams();
        OperatorDashboardOptions.AddTo(client, configuration);
        client.Services.AddOptions<ClientMessagingOptions>().Bind(configuration.GetSection("Orleans:Messaging"));
        client.Services.AddOptions<GatewayOptions>().Configure(MembershipDefaults.Apply).Bind(configuration.GetSection("Orleans:Gateway"));
        client.Services.AddOptions<AutonomyOptions>().Bind(configuration.GetSection(AutonomyOptions.Section));
        client.Services.Configure<ExceptionSerializationOptions>(StoreFailures.Carry);
        client.Services.TryAddKeyedSingleton(AutonomyClock.Key, TimeProvider.System);

        // Real time, not the engine's clock: waiting for silos to come up is infrastructure (tests fake the engine's).
        client.Services.AddSingleton<IClientConnectionRetryFilter>(sp => new ClusterConnectionRetry(
            options.ClusterConnectTimeout, TimeProvider.System, sp.GetService<ILogger<ClusterConnectionRetry>>() ?? NullLogger<ClusterConnectionRetry>.Instance));
        // The gateway verifies checkpoints with public keys only: it cannot sign one (the silos hold the private key).
        client.Services.AddOptions<LedgerCheckpointOptions>().Bind(configuration.GetSection(LedgerCheckpointOptions.Section));
        var checkpointKeys = CheckpointKeys.ResolveVerifying(configuration);
        client.Services.TryAddSingleton(checkpointKeys);
        var longReads = SiloComposition.LongReadConnectionString(configuration);
        client.Services.TryAddSingleton<ILedger>(sp => new PostgresLedger(connectionString, sp.GetRequiredService<TimeProvider>(), longReadConnectionString: longReads) { CheckpointKeys = checkpointKeys });
        return client;
    }
}

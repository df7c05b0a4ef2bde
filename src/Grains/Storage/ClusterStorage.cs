using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Autonomy.Hosting;

/// <summary>
/// Cluster mode: membership, grain state and reminders through Orleans' own ADO.NET providers on PostgreSQL
/// (invariant <c>Npgsql</c>), on the schema of <c>deploy/sql/postgresql</c>, which the silo applies when it starts.
/// </summary>
public static class ClusterStorage
{
    public const string Invariant = "Npgsql";

    public static ISiloBuilder UseAutonomyClusterStorage(this ISiloBuilder silo, AutonomyOptions options, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);

        // First of all: the membership table must exist before the silo joins. The advisory lock in
        // PostgresSchema makes several silos starting at once apply it one after another.
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new SchemaParticipant(connectionString));
        silo.Configure<ClusterOptions>(o =>
        {
            o.ServiceId = options.ServiceId;
            o.ClusterId = options.ClusterId;
        });
        if (options.SiloPort == 0)
        {
            // Endpoints are the hosting environment's (the in-process test cluster allocates ports per silo).
        }
        else if (options.AdvertisedHost is { Length: > 0 } host)
        {
            // "*" stands for this machine's own host name: every replica of a scaled compose service differs.
            silo.ConfigureEndpoints(host == "*" ? Dns.GetHostName() : host, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
        }
        else
        {
            silo.ConfigureEndpoints(IPAddress.Loopback, options.SiloPort, options.GatewayPort);
        }

        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.AddAdoNetGrainStorage(EmbeddedStorage.GrainStorageName, o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        return silo;
    }

    private sealed class SchemaParticipant(string connectionString) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(ClusterStorage), ServiceLifecycleStage.First, ct => PostgresSchema.ApplyAsync(connectionString, ct));
    }
}

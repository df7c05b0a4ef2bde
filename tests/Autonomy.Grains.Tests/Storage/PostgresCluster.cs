using System.Reflection;
using Autonomy.Hosting;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Autonomy.Tests.Storage;

/// <summary>
/// An in-process test cluster whose membership, grain state ("autonomy") and reminders are Orleans' ADO.NET
/// providers on a PostgreSQL database holding our schema; the client finds its gateways there too.
/// </summary>
internal static class PostgresCluster
{
    public static async Task<InProcessTestCluster> StartAsync(string connectionString, short silos = 2)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        UseConfiguredMembership(builder.Options);
        // The production composition of cluster storage (schema applied at start included), endpoints left to the test cluster.
        var options = new AutonomyOptions { Mode = AutonomyMode.Cluster, SiloPort = 0 };
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseAutonomyClusterStorage(options, connectionString);
            silo.Configure<ReminderOptions>(reminders => reminders.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        });
        builder.ConfigureClient(client => client.UseAdoNetClustering(o =>
        {
            o.Invariant = ClusterStorage.Invariant;
            o.ConnectionString = connectionString;
        }));

        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>
    /// The in-process cluster registers its in-memory membership table after our silo configuration, so it
    /// would shadow the ADO.NET one; its switch is internal in Orleans.TestingHost 10.x, hence reflection.
    /// </summary>
    internal static void UseConfiguredMembership(InProcessTestClusterOptions options)
    {
        var property = typeof(InProcessTestClusterOptions).GetProperty("UseTestClusterMembership", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("InProcessTestClusterOptions.UseTestClusterMembership is gone; find the new way to keep the in-memory membership out.");
        property.SetValue(options, false);
    }
}

using Autonomy.Hosting;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Autonomy.Tests.Storage;

/// <summary>
/// A one-silo test cluster on the embedded storage over a data directory. These tests restart clusters on
/// the same files, so each test owns its directory and clusters instead of sharing a collection fixture.
/// </summary>
internal static class EmbeddedCluster
{
    /// <summary>Fixed like in production: stored rows are keyed by it, so a restarted cluster finds them.</summary>
    public const string ServiceId = "autonomy-tests";

    public static async Task<InProcessTestCluster> StartAsync(string dataDirectory)
    {
        var builder = new InProcessTestClusterBuilder(1);
        // The test cluster sets ClusterOptions after our configuration, so the fixed ids are given here too.
        builder.Options.ServiceId = ServiceId;
        builder.Options.ClusterId = ServiceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseAutonomyEmbeddedStorage(new AutonomyOptions
            {
                DataDirectory = dataDirectory,
                ServiceId = ServiceId,
                ClusterId = ServiceId,
            });
            silo.Configure<ReminderOptions>(reminders => reminders.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        });

        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}

using Autonomy.Decisions;
using Autonomy.Hosting;
using Autonomy.Ledger;
using Autonomy.Tests.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Autonomy.Tests.Support;

/// <summary>
/// One embedded silo composed exactly as in production (<c>AddAutonomySilo</c>), on a data directory of its own,
/// with the domain clock (<see cref="AutonomyClock"/>) replaced by a <see cref="FakeTimeProvider"/>. Orleans' own
/// clock stays on system time so its timers, reminders and timeouts keep running.
/// </summary>
public sealed class AutonomyCluster : IAsyncDisposable
{
    private AutonomyCluster(InProcessTestCluster cluster, TestHooks hooks)
    {
        Cluster = cluster;
        Hooks = hooks;
    }

    public InProcessTestCluster Cluster { get; }

    public TestHooks Hooks { get; }

    public IGrainFactory Grains => Cluster.Client;

    public FakeTimeProvider Clock => Hooks.Clock;

    public ILedger Ledger => Cluster.Silos[0].ServiceProvider.GetRequiredService<ILedger>();

    public static async Task<AutonomyCluster> StartAsync(string dataDirectory, TestHooks? hooks = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        hooks ??= new TestHooks();
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = EmbeddedCluster.ServiceId;
        builder.Options.ClusterId = EmbeddedCluster.ServiceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Autonomy:DataDirectory"] = dataDirectory,
                ["Autonomy:ServiceId"] = EmbeddedCluster.ServiceId,
                ["Autonomy:ClusterId"] = EmbeddedCluster.ServiceId,
                ["Autonomy:MinimumReminderPeriod"] = "00:00:01",
                ["Autonomy:Engine:HotTick"] = "00:00:01",
                ["Autonomy:Engine:WarmTick"] = "00:00:01",
                ["Autonomy:Engine:ColdTick"] = "00:00:01",
            }).AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();

            silo.Services.AddKeyedSingleton<TimeProvider>(AutonomyClock.Key, hooks.Clock);

            silo.Services.AddSingleton(hooks);
            silo.Services.AddSingleton<IDecisionEngine, GatedEngine>();
            silo.Services.AddSingleton<ILedger>(sp => new SwitchableLedger(
                new SqliteLedger(Path.Combine(dataDirectory, "ledger.db"), TimeProvider.System), hooks));
            silo.Services.AddLogging(l => l.AddSimpleConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning));
            silo.AddAutonomySilo(configuration);
        });

        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new AutonomyCluster(cluster, hooks);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

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

    public ILedger Ledger => Cluster.Silos.First().ServiceProvider.GetRequiredService<ILedger>();

    /// <summary>
    /// Starts <paramref name="silos"/> silos. Without <paramref name="postgres"/>: embedded mode on
    /// <paramref name="dataDirectory"/>. With it: cluster mode on that PostgreSQL database, membership included
    /// (the test cluster's own membership is switched off), so silos find each other as in production.
    /// </summary>
    public static async Task<AutonomyCluster> StartAsync(
        string dataDirectory, TestHooks? hooks = null, int silos = 1, string? postgres = null, Action<ISiloBuilder>? configure = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        hooks ??= new TestHooks();
        var values = new Dictionary<string, string?>
        {
            ["Autonomy:DataDirectory"] = dataDirectory,
            ["Autonomy:ServiceId"] = EmbeddedCluster.ServiceId,
            ["Autonomy:ClusterId"] = EmbeddedCluster.ServiceId,
            ["Autonomy:MinimumReminderPeriod"] = "00:00:01",
            ["Autonomy:Engine:HotTick"] = "00:00:01",
            ["Autonomy:Engine:WarmTick"] = "00:00:01",
            ["Autonomy:Engine:ColdTick"] = "00:00:01",
            ["Autonomy:Engine:DigestTick"] = "00:00:01",
            ["Autonomy:Webhooks:AllowPrivateNetworks"] = "true", // the test receivers listen on loopback
            ["Autonomy:Chat:AllowPrivateNetworks"] = "true", // so does the fake chat endpoint

            // Most suites send signal after signal to one account and expect a run each; the gate's interval is tested on its own.
            ["Autonomy:Engine:MinRunInterval"] = "00:00:00",
        };
        if (postgres is not null)
        {
            values["Autonomy:Mode"] = "Cluster";
            values["Autonomy:SiloPort"] = "0";
            values["ConnectionStrings:Autonomy"] = postgres;
            values["Autonomy:Ledger:CheckpointSigningKey"] = TestCheckpointKeys.SigningKey;
            values["Autonomy:Ledger:CheckpointPublicKeys"] = TestCheckpointKeys.PublicKey;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ServiceId = EmbeddedCluster.ServiceId;
        builder.Options.ClusterId = EmbeddedCluster.ServiceId;
        builder.Options.ConfigureFileLogging = false;
        if (postgres is not null)
        {
            PostgresCluster.UseConfiguredMembership(builder.Options);
            builder.ConfigureClient(client => client.AddAutonomyClient(configuration));
        }

        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddKeyedSingleton<TimeProvider>(AutonomyClock.Key, hooks.Clock);
            silo.Services.AddSingleton(hooks);
            silo.AddIncomingGrainCallFilter<FaultInjectionFilter>();
            silo.Services.AddSingleton<IDecisionEngine, GatedEngine>();
            silo.Services.AddSingleton<ILedger>(sp => new SwitchableLedger(
                postgres is null
                    ? new SqliteLedger(Path.Combine(dataDirectory, "ledger.db"), TimeProvider.System) { CheckpointKeys = sp.GetRequiredService<LedgerCheckpointKeyring>() }
                    : new PostgresLedger(postgres, TimeProvider.System) { CheckpointKeys = sp.GetRequiredService<LedgerCheckpointKeyring>() },
                hooks));
            silo.Services.AddLogging(l => l.AddSimpleConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning));
            silo.AddAutonomySilo(configuration);
            configure?.Invoke(silo);
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

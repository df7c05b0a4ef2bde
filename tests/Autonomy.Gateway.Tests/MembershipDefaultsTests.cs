using Autonomy.Gateway.Infrastructure;
using Autonomy.Gateway.Tests.Support;
using Autonomy.Hosting;
using Autonomy.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// The failure detection a cluster gets with nothing configured, read from the options the compositions produce:
/// a dead silo is declared dead well inside the gateway's retry deadline, and configuration still overrides it.
/// </summary>
public sealed class MembershipDefaultsTests
{
    [Fact]
    public void ASiloWithNothingConfiguredDeclaresADeadSiloWellInsideTheGatewaysRetryDeadline()
    {
        var membership = SiloOptions<ClusterMembershipOptions>([]);

        Assert.Equal(TimeSpan.FromSeconds(2), membership.ProbeTimeout);
        Assert.Equal(2, membership.NumMissedProbesLimit);
        Assert.Equal(TimeSpan.FromSeconds(10), membership.TableRefreshTimeout);
        Assert.Equal(2, membership.NumVotesForDeathDeclaration);

        // The missed probes, a probe period apart, plus up to a period before the first: 6 s at most, which leaves 4 s
        // of the 10 s deadline for the gateway's next retry (1 s at most) and the grains' reactivation on a survivor.
        var detection = membership.ProbeTimeout * (membership.NumMissedProbesLimit + 1);
        var deadline = new GatewayRetryOptions().RetryDeadline;
        Assert.True(detection <= deadline * 0.6, $"detection {detection} against the retry deadline {deadline}");
    }

    [Fact]
    public void AGatewayWithNothingConfiguredRefreshesItsSiloListEvery10Seconds() =>
        Assert.Equal(TimeSpan.FromSeconds(10), ClientOptions<GatewayOptions>([]).GatewayListRefreshPeriod);

    [Fact]
    public void ASiloWithNothingConfiguredShedsActivationsUnderMemoryPressureAndConfigurationTurnsItOff()
    {
        var shipped = SiloOptions<GrainCollectionOptions>([]);
        Assert.True(shipped.EnableActivationSheddingOnMemoryPressure);
        Assert.Equal(TimeSpan.FromMinutes(15), shipped.CollectionAge);

        Assert.False(SiloOptions<GrainCollectionOptions>(new() { ["Orleans:GrainCollection:EnableActivationSheddingOnMemoryPressure"] = "false" })
            .EnableActivationSheddingOnMemoryPressure);
    }

    [Fact]
    public void ConfigurationOverridesEachShippedDefault()
    {
        var membership = SiloOptions<ClusterMembershipOptions>(new()
        {
            ["Orleans:ClusterMembership:ProbeTimeout"] = "00:00:05",
        });
        var gateway = ClientOptions<GatewayOptions>(new() { ["Orleans:Gateway:GatewayListRefreshPeriod"] = "00:01:00" });

        Assert.Equal(TimeSpan.FromSeconds(5), membership.ProbeTimeout);
        Assert.Equal(2, membership.NumMissedProbesLimit);
        Assert.Equal(TimeSpan.FromMinutes(1), gateway.GatewayListRefreshPeriod);
    }

    /// <summary>The options of a cluster-mode silo composed by AddAutonomySilo (built, never started).</summary>
    private static T SiloOptions<T>(Dictionary<string, string?> settings)
        where T : class
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(Cluster(settings));
        builder.UseOrleans(silo => silo.AddAutonomySilo(builder.Configuration));
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<T>>().Value;
    }

    /// <summary>The options of the gateway's Orleans client composed by AddAutonomyClient (built, never started).</summary>
    private static T ClientOptions<T>(Dictionary<string, string?> settings)
        where T : class
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(Cluster(settings));
        builder.UseOrleansClient(client => client.AddAutonomyClient(builder.Configuration));
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<T>>().Value;
    }

    private static Dictionary<string, string?> Cluster(Dictionary<string, string?> settings) => new(settings)
    {
        ["Autonomy:Mode"] = "Cluster",
        ["ConnectionStrings:Autonomy"] = "Host=127.0.0.1;Username=nobody;Database=never-opened",
        ["Autonomy:Ledger:CheckpointSigningKey"] = TestCheckpointKeys.SigningKey,
        ["Autonomy:Ledger:CheckpointPublicKeys"] = TestCheckpointKeys.PublicKey,
        // Required in cluster mode; the host is built, never started, so the folder is never written.
        ["Autonomy:DataProtection:KeyDirectory"] = Path.Combine(Path.GetTempPath(), "autonomy-membership-defaults-keys"),
    };
}

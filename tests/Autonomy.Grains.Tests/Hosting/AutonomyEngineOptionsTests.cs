using Autonomy.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Autonomy.Tests.Hosting;

/// <summary>Engine options bound from configuration the way AddAutonomySilo binds them.</summary>
public sealed class AutonomyEngineOptionsTests
{
    [Fact]
    public void ConfiguredRenewalRunwayDaysReplaceTheDefault()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Autonomy:Engine:RenewalRunwayDays:0"] = "45",
            ["Autonomy:Engine:RenewalRunwayDays:1"] = "14",
        });

        Assert.Equal([45, 14], options.Rituals.RenewalRunwayDays.ToArray());
    }

    [Fact]
    public void UnconfiguredRenewalRunwayDaysAreTheDefault() =>
        Assert.Equal([90, 60, 30], Bind([]).Rituals.RenewalRunwayDays.ToArray());

    private static AutonomyEngineOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddOptions<AutonomyEngineOptions>().Bind(configuration.GetSection(AutonomyEngineOptions.Section));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<AutonomyEngineOptions>>().Value;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Autonomy.Tests.Hosting;

/// <summary>Traces are collected only where they are exported: without an exporter, no request or grain call makes an activity.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public void WithoutAnOtlpEndpointNoTracesAreCollected()
    {
        using var services = Build([]);
        Assert.Null(services.GetService<TracerProvider>());
    }

    [Theory]
    [InlineData("Autonomy:Otlp:Endpoint")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT")]
    public void WithAnOtlpEndpointTracesAreCollected(string key)
    {
        using var services = Build(new() { [key] = "http://127.0.0.1:4317" });
        Assert.NotNull(services.GetService<TracerProvider>());
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddAutonomyTelemetry(configuration, "test");
        return services.BuildServiceProvider();
    }
}

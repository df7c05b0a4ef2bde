using Microsoft.Extensions.Configuration;
using Orleans.Dashboard;

namespace Autonomy.Hosting;

/// <summary>
/// The Orleans Dashboard for the platform operator: off unless configured. The gateway serves it at <c>/dashboard</c>
/// to the <c>operator</c> role; its data comes from every silo, so in cluster mode each silo must enable it too.
/// </summary>
public sealed class OperatorDashboardOptions
{
    public const string Section = "Autonomy:Dashboard";

    /// <summary>Adds the dashboard's collectors to a silo and its endpoints to the gateway.</summary>
    public bool Enabled { get; set; }

    public static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<OperatorDashboardOptions>()?.Enabled ?? false;

    /// <summary>A silo's part: the grain call profiler and the statistics the dashboard reads.</summary>
    internal static void AddTo(ISiloBuilder silo, IConfiguration configuration)
    {
        if (IsEnabled(configuration))
        {
            silo.AddDashboard();
        }
    }

    /// <summary>A client's part (the gateway in cluster mode): the dashboard's reader of the silos' statistics.</summary>
    internal static void AddTo(IClientBuilder client, IConfiguration configuration)
    {
        if (IsEnabled(configuration))
        {
            client.AddDashboard();
        }
    }
}

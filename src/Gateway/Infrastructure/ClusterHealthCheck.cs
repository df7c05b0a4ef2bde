using Autonomy.Platform;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>Ready when a grain answers: a cheap read of the platform kill switch through the grain factory.</summary>
public sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<IPlatformGrain>(IPlatformGrain.Key).GetAsync().WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy("The cluster answers.");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The cluster does not answer.", e);
        }
    }
}

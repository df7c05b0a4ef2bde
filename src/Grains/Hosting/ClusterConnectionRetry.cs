using Microsoft.Extensions.Logging;

namespace Autonomy.Hosting;

/// <summary>
/// The gateway's first connection to the cluster, retried: started before any silo is up (compose, a fresh
/// database whose schema the first silo has not applied yet), it waits with exponential backoff and jitter, logging
/// why, for up to <see cref="AutonomyOptions.ClusterConnectTimeout"/>, instead of crashing at the first failure.
/// </summary>
public sealed class ClusterConnectionRetry(TimeSpan timeout, TimeProvider time, ILogger<ClusterConnectionRetry> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    private long _started;
    private int _attempts;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (_attempts++ == 0)
        {
            _started = time.GetTimestamp();
        }

        var elapsed = time.GetElapsedTime(_started);
        if (cancellationToken.IsCancellationRequested || elapsed >= timeout)
        {
            logger.LogError(exception, "Gave up connecting to the cluster after {Elapsed}: no silo answered (Autonomy:ClusterConnectTimeout={Timeout})", elapsed, timeout);
            return false;
        }

        var backoff = Math.Min(MaxDelay.TotalMilliseconds, FirstDelay.TotalMilliseconds * Math.Pow(2, Math.Min(_attempts - 1, 16)));
        var delay = TimeSpan.FromMilliseconds(backoff * (0.8 + (0.4 * Random.Shared.NextDouble())));
        logger.LogWarning("The cluster is not reachable yet ({Reason}); attempt {Attempt} again in {Delay}", exception.GetBaseException().Message, _attempts + 1, delay);
        await Task.Delay(delay, time, cancellationToken);
        return true;
    }
}

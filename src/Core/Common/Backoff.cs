namespace Autonomy.Common;

/// <summary>
/// Exponential backoff with full jitter for work retried on a grain timer: attempt n waits a random time in
/// [0.5, 1] × min(max, base × 2^(n-1)), so accounts that failed together do not all come back at once, and the
/// wait never exceeds <c>max</c>.
/// </summary>
public static class Backoff
{
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan max, double random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ceiling = Math.Min(max.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        var share = 0.5 + (0.5 * Math.Clamp(double.IsFinite(random) ? random : 1, 0, 1));
        return TimeSpan.FromMilliseconds(ceiling * share);
    }
}

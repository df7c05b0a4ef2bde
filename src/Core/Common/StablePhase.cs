namespace Autonomy.Common;

/// <summary>A stable phase in [0, 1) from a key: the same key gives the same phase in every process and run.</summary>
public static class StablePhase
{
    public static double Of(string key)
    {
        ArgumentNullException.ThrowIfNull(key);

        // FNV-1a: stable across processes and runs, unlike string.GetHashCode.
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return (hash >> 11) / (double)(1UL << 53);
    }
}

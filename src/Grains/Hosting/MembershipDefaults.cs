using Orleans.Configuration;

namespace Autonomy.Hosting;

/// <summary>
/// The failure detection Autonomy ships, so a silo killed under load is declared dead well inside the gateway's
/// 10 s retry deadline (<c>Autonomy:Gateway:RetryDeadline</c>) with nothing configured. Orleans' own defaults
/// (probes every 5 s, 3 missed) take 15 s and more, so clients saw 503s. Probes every 2 s, 2 missed: a dead silo
/// (its port refuses at once) is suspected and, with the votes of the silos that probe it, declared dead within
/// about 4 to 6 s. The price is a silo that stalls for longer than that (a long GC pause, a starved machine) being
/// declared dead too; Orleans lengthens the probe timeout on a silo that sees itself degraded, and the silo
/// restarts and rejoins. <c>Orleans:ClusterMembership:*</c> and <c>Orleans:Gateway:*</c> settings still override
/// each value.
/// </summary>
public static class MembershipDefaults
{
    /// <summary>How often each silo probes the silos it monitors, and how long a probe may take (Orleans: 5 s).</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Missed probes after which a silo votes the target dead (Orleans: 3).</summary>
    public const int NumMissedProbesLimit = 2;

    /// <summary>How often a silo reads the membership table besides gossip (Orleans: 60 s).</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often a gateway (Orleans client) refreshes its list of live silos (Orleans: 60 s).</summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(10);

    /// <summary>The silo side: probes and table refresh.</summary>
    public static void Apply(ClusterMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.TableRefreshTimeout = TableRefreshTimeout;
    }

    /// <summary>The client side: how soon a gateway drops a dead silo from the silos it sends to.</summary>
    public static void Apply(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.GatewayListRefreshPeriod = GatewayListRefreshPeriod;
    }
}

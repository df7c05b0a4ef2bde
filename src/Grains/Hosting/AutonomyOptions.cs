namespace Autonomy.Hosting;

/// <summary>Where Autonomy keeps its state and how the silo finds its peers.</summary>
public sealed class AutonomyOptions
{
    public const string Section = "Autonomy";

    /// <summary><see cref="AutonomyMode.Embedded"/> (one process, SQLite files) or <see cref="AutonomyMode.Cluster"/> (PostgreSQL).</summary>
    public AutonomyMode Mode { get; set; } = AutonomyMode.Embedded;

    /// <summary>Folder of the embedded SQLite files (grain state, reminders, ledger). Created when missing.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Orleans service id. Stored state and reminders are keyed by it, so it never changes.</summary>
    public string ServiceId { get; set; } = "autonomy";

    /// <summary>Orleans cluster id.</summary>
    public string ClusterId { get; set; } = "autonomy";

    /// <summary>Orleans silo-to-silo port. Cluster mode: 0 leaves the endpoints to the host (test clusters).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Orleans client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// Cluster mode: the host name or IP other silos and gateways reach this silo at (e.g. the container's host
    /// name under docker compose); <c>*</c> means this machine's host name. Unset: loopback, for silos started by
    /// hand on one machine.
    /// </summary>
    public string? AdvertisedHost { get; set; }

    /// <summary>
    /// Cluster mode, gateway: how long its first connection to the cluster is retried (no silo up yet, or the schema
    /// not yet applied by the first silo) before the gateway gives up and exits.
    /// </summary>
    public TimeSpan ClusterConnectTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The PostgreSQL connection string of cluster mode (<c>ConnectionStrings:Autonomy</c>).</summary>
    public const string ConnectionStringName = "Autonomy";
}

public enum AutonomyMode
{
    Embedded,
    Cluster,
}

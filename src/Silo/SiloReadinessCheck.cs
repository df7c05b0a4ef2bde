using Autonomy.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Autonomy.Silo;

/// <summary>
/// Ready when this silo is active in the cluster's membership and, in cluster mode, its PostgreSQL (grain state,
/// reminders, ledger: one database) answers. Compose starts the gateway only once a silo is ready, and a load
/// balancer or orchestrator stops sending work to a silo that lost its database.
/// </summary>
public sealed class SiloReadinessCheck : IHealthCheck, IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private readonly ISiloStatusOracle _membership;
    private readonly NpgsqlDataSource? _database;

    public SiloReadinessCheck(ISiloStatusOracle membership, IOptions<AutonomyOptions> options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        _membership = membership;
        if (options.Value.Mode == AutonomyMode.Cluster)
        {
            // Its own pool of at most one connection, so probing never takes a connection the grains need.
            var builder = new NpgsqlConnectionStringBuilder(SiloComposition.ClusterConnectionString(configuration))
            {
                MaxPoolSize = 1,
                Timeout = (int)Timeout.TotalSeconds,
                CommandTimeout = (int)Timeout.TotalSeconds,
            };
            _database = NpgsqlDataSource.Create(builder);
        }
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_membership.CurrentStatus != SiloStatus.Active)
        {
            return HealthCheckResult.Unhealthy($"The silo is {_membership.CurrentStatus} in the cluster, not Active.");
        }

        if (_database is null)
        {
            return HealthCheckResult.Healthy("The silo is active.");
        }

        try
        {
            await using var command = _database.CreateCommand("SELECT 1;");
            await command.ExecuteScalarAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy("The silo is active and its database answers.");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("The silo's PostgreSQL database does not answer.", e);
        }
    }

    public ValueTask DisposeAsync() => _database?.DisposeAsync() ?? ValueTask.CompletedTask;
}

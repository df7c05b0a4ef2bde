using System.Globalization;
using Autonomy.Hosting;
using Autonomy.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Autonomy.Bench.ClusterAccounts;

/// <summary>What the benchmark reads beside the HTTP API: each process's RSS, the activations per silo (an Orleans
/// client of the cluster asks the management grain), the database's size.</summary>
internal sealed class ClusterProbe : IAsyncDisposable
{
    private readonly IHost _client;
    private readonly string _connectionString;

    private ClusterProbe(IHost client, string connectionString)
    {
        _client = client;
        _connectionString = connectionString;
    }

    /// <summary>An Orleans client joined to the cluster through its membership table, as the gateway joins it.</summary>
    public static async Task<ClusterProbe> StartAsync(string connectionString, string clusterId)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autonomy:Mode"] = "Cluster",
            ["ConnectionStrings:Autonomy"] = connectionString,
            ["Autonomy:ServiceId"] = clusterId,
            ["Autonomy:ClusterId"] = clusterId,
            ["Autonomy:Ledger:CheckpointPublicKeys"] = TestCheckpointKeys.PublicKey,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client => client.AddAutonomyClient(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync();
        return new ClusterProbe(host, connectionString);
    }

    /// <summary>Activations per silo port: (account grains, all grains).</summary>
    public async Task<IReadOnlyDictionary<int, (long Accounts, long All)>> ActivationsAsync()
    {
        var management = _client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        var statistics = await management.GetSimpleGrainStatistics();
        return statistics.GroupBy(s => s.SiloAddress.Endpoint.Port).ToDictionary(
            g => g.Key,
            g => (g.Where(s => s.GrainType.Contains("AccountGrain", StringComparison.OrdinalIgnoreCase)).Sum(s => (long)s.ActivationCount),
                  g.Sum(s => (long)s.ActivationCount)));
    }

    public async Task<long> DatabaseBytesAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>VmRSS of a process, from /proc/&lt;pid&gt;/status (0 when it is gone).</summary>
    public static long Rss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // The process has exited.
        }

        return 0;
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "";

    public async ValueTask DisposeAsync()
    {
        await _client.StopAsync();
        _client.Dispose();
    }
}

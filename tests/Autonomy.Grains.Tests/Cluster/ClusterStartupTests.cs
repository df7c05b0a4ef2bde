using System.Net;
using System.Text;
using Autonomy.Tests.Support;
using Npgsql;

namespace Autonomy.Tests.Cluster;

/// <summary>
/// The cluster path as a new user meets it, with real processes: a silo is ready only while it can work, a gateway
/// started first waits for the cluster, and tokens minted from the gateway's environment are accepted.
/// </summary>
public sealed class ClusterStartupTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        await AllowConnectionsAsync(true);
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task ASiloIsReadyOnlyWhileItsDatabaseAnswers()
    {
        await using var cluster = new ProcessCluster(_database.ConnectionString);
        var silo = await cluster.StartSiloAsync("silo-1");
        using var http = new HttpClient { BaseAddress = silo.Address, Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);

        await AllowConnectionsAsync(false);
        await Eventually.UntilAsync(async () => (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable, Bound, "the silo to report not ready without its database");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);

        await AllowConnectionsAsync(true);
        await Eventually.UntilAsync(async () => (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, Bound, "the silo to report ready again");
    }

    [Fact]
    public async Task AGatewayStartedBeforeAnySiloConnectsOnceOneIsUpAndServes()
    {
        await using var cluster = new ProcessCluster(_database.ConnectionString);

        // A fresh database: no schema, no silo. The gateway keeps trying instead of exiting.
        var gateway = cluster.StartGateway("gateway");
        await Eventually.UntilAsync(() => gateway.Log.Contains("The cluster is not reachable yet", StringComparison.Ordinal) || gateway.HasExited, Bound, "the gateway to retry its first connection");
        Assert.False(gateway.HasExited, gateway.Log);

        await cluster.StartSiloAsync("silo-1");
        await gateway.WaitReadyAsync();

        var tenant = "t-start-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = gateway.Client(await ProcessCluster.MintAsync(tenant, "admin", "alice"));
        var created = await admin.PutAsync($"/v1/tenants/{tenant}/accounts/acc-1", Json("""{"ownerId":"seller-1","lifecycle":"CUSTOMER"}"""));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
    }

    [Fact]
    public async Task ATokenMintedFromTheGatewaysEnvironmentIsAcceptedAndAnotherKeysIsNot()
    {
        // What docker compose does: Auth__* in the gateway's environment only, and mint-token run in that same
        // environment (docker compose exec gateway dotnet Autonomy.Gateway.dll mint-token ...).
        var environment = new Dictionary<string, string>
        {
            ["Autonomy__Mode"] = "Cluster",
            ["Auth__SigningKey"] = Convert.ToBase64String(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).Concat(Guid.NewGuid().ToByteArray()).ToArray()),
            ["Auth__Issuer"] = "autonomy",
            ["Auth__Audience"] = "autonomy-api",
        };
        await using var cluster = new ProcessCluster(_database.ConnectionString);
        await cluster.StartSiloAsync("silo-1");
        var gateway = cluster.StartGateway("gateway", environment);
        await gateway.WaitReadyAsync();
        var tenant = "t-token-" + Guid.NewGuid().ToString("N")[..8];

        using var admin = gateway.Client(await ProcessCluster.MintAsync(tenant, "admin", "alice", environment));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).StatusCode);

        using var stranger = gateway.Client(await ProcessCluster.MintAsync(tenant, "admin", "alice", new Dictionary<string, string>(environment)
        {
            ["Auth__SigningKey"] = "another-key-of-at-least-32-characters-0123456789",
        }));
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync($"/v1/tenants/{tenant}/autonomy")).StatusCode);
    }

    /// <summary>Cuts the silo off its database (new connections refused, open ones ended), or lets it back.</summary>
    private async Task AllowConnectionsAsync(bool allow)
    {
        var server = new NpgsqlConnectionStringBuilder(PostgresDatabase.Server) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using (var alter = new NpgsqlCommand($"ALTER DATABASE \"{_database.Name}\" ALLOW_CONNECTIONS {(allow ? "true" : "false")};", connection))
        {
            await alter.ExecuteNonQueryAsync();
        }

        if (!allow)
        {
            await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name AND pid <> pg_backend_pid();", connection);
            terminate.Parameters.AddWithValue("name", _database.Name);
            await terminate.ExecuteNonQueryAsync();
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}

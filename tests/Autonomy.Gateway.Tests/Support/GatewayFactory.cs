using System.Globalization;
using System.Net.Http.Headers;
using Autonomy.Gateway.Auth;
using Autonomy.Hosting;
using Autonomy.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Autonomy.Gateway.Tests.Support;

/// <summary>
/// The gateway in embedded mode (co-hosted silo) on a fresh temp data directory and a test signing key. One per
/// collection: the silo listens on fixed localhost ports, so two at once would collide. Tests keep apart by
/// using fresh tenant ids.
/// </summary>
public class GatewayFactory : WebApplicationFactory<Program>
{
    public static readonly AuthOptions Auth = new()
    {
        SigningKey = "gateway-tests-signing-key-0123456789-abcdef",
        Issuer = "autonomy-tests",
        Audience = "autonomy-tests-api",
    };

    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "autonomy-gateway-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>Leaves the data directory in place on dispose, for a test that starts a second gateway on it.</summary>
    public bool KeepDataDirectory { get; init; }

    public HttpClient Client(string? token)
    {
        var client = CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Autonomy:DataDirectory", DataDirectory);
        builder.UseSetting("Auth:SigningKey", Auth.SigningKey);
        builder.UseSetting("Auth:Issuer", Auth.Issuer);
        builder.UseSetting("Auth:Audience", Auth.Audience);
        builder.UseSetting("Autonomy:Metrics:Prometheus", "true");
        builder.UseSetting("Autonomy:Webhooks:AllowPrivateNetworks", "true");
        builder.UseSetting("Autonomy:Chat:AllowPrivateNetworks", "true");
        builder.UseSetting("Autonomy:Engine:MinRunInterval", "00:00:00");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        if (KeepDataDirectory)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing handle; the temp folder is cleaned by the OS.
        }
    }
}

/// <summary>
/// A gateway of a test's own: <paramref name="settings"/> over the defaults (a null value removes a default) and
/// its own silo ports, so it runs beside the shared one.
/// </summary>
public sealed class CustomGatewayFactory(IReadOnlyDictionary<string, string?> settings) : GatewayFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Autonomy:SiloPort", Loopback.FreePort().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Autonomy:GatewayPort", Loopback.FreePort().ToString(CultureInfo.InvariantCulture));
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFactory>
{
    public const string Name = "gateway";
}

/// <summary>
/// The gateway in cluster mode: an Orleans client of a silo host (the same <c>AddAutonomySilo</c>, cluster mode)
/// on a throw-away PostgreSQL database, both in this process on free loopback ports.
/// </summary>
public sealed class ClusterGatewayFactory : GatewayFactory, IAsyncLifetime
{
    private PostgresDatabase? _database;
    private IHost? _silo;

    /// <summary>The cluster's database, for a test that tampers with it as someone with database access would.</summary>
    public string ConnectionString => _database?.ConnectionString ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autonomy:Mode"] = "Cluster",
            ["ConnectionStrings:Autonomy"] = _database.ConnectionString,
            ["Autonomy:Ledger:CheckpointSigningKey"] = TestCheckpointKeys.SigningKey,
            ["Autonomy:SiloPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Autonomy:GatewayPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.UseOrleans(s => s.AddAutonomySilo(builder.Configuration));
        _silo = builder.Build();
        await _silo.StartAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (_silo is not null)
        {
            await _silo.StopAsync();
            _silo.Dispose();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Autonomy:Mode", "Cluster");
        builder.UseSetting("ConnectionStrings:Autonomy", _database!.ConnectionString);
        // The gateway holds the public key only: it verifies checkpoints, it cannot sign one.
        builder.UseSetting("Autonomy:Ledger:CheckpointPublicKeys", TestCheckpointKeys.PublicKey);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterGatewayCollection : ICollectionFixture<ClusterGatewayFactory>
{
    public const string Name = "gateway-cluster";
}

/// <summary>Tokens signed like the gateway's, and fresh ids so tests never share data.</summary>
public static class Tokens
{
    public static string For(string? tenant, string sub, params string[] roles) =>
        MintTokenCommand.Mint(GatewayFactory.Auth, tenant, roles, sub, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    public static string Admin(string tenant) => For(tenant, "admin-1", "admin");

    public static string Ingest(string tenant) => For(tenant, "upstream", "ingest");

    public static string Auditor(string tenant) => For(tenant, "auditor-1", "auditor");

    public static string Seller(string tenant, string sellerId) => For(tenant, sellerId, "seller");

    public static string FreshTenant() => "t-" + Guid.NewGuid().ToString("N")[..12];
}

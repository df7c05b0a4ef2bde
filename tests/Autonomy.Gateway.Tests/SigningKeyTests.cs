using System.Net;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// No well-known signing key: embedded mode without <c>Auth:SigningKey</c> generates one into the data directory
/// (owner-only) on first start and reuses it, and mint-token signs with the same key whichever runs first; cluster
/// mode without a key refuses to start and says how to set one.
/// </summary>
public sealed class SigningKeyTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "autonomy-key-tests-" + Guid.NewGuid().ToString("N"));

    private string KeyFile => Path.Combine(_dataDirectory, SigningKeys.FileName);

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task TheFirstEmbeddedStartGeneratesAnOwnerOnlyRandomKeyAndMintTokenSignsWithIt()
    {
        var tenant = Tokens.FreshTenant();
        await using var gateway = Embedded();
        using var client = gateway.CreateClient();

        Assert.True(File.Exists(KeyFile));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
        }

        Assert.True(Convert.FromBase64String(File.ReadAllText(KeyFile)).Length >= 32);
        var token = Mint(tenant);
        var response = await gateway.Client(token).GetAsync($"/v1/tenants/{tenant}/autonomy");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forged = MintTokenCommand.Mint(
            new AuthOptions { SigningKey = "DEVELOPMENT-ONLY-autonomy-signing-key-change-me", Issuer = GatewayFactory.Auth.Issuer, Audience = GatewayFactory.Auth.Audience },
            tenant, ["admin"], "mallory", TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Client(forged).GetAsync($"/v1/tenants/{tenant}/autonomy")).StatusCode);
    }

    [Fact]
    public async Task MintTokenBeforeTheFirstStartCreatesTheKeyTheServerThenUses()
    {
        var tenant = Tokens.FreshTenant();
        var token = Mint(tenant);
        var key = File.ReadAllText(KeyFile);

        await using var gateway = Embedded();
        var response = await gateway.Client(token).GetAsync($"/v1/tenants/{tenant}/autonomy");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(key, File.ReadAllText(KeyFile));
    }

    [Fact]
    public async Task TheKeyIsReusedAcrossRestartsSoEarlierTokensStayValid()
    {
        var tenant = Tokens.FreshTenant();
        string token;
        string key;
        await using (var first = Embedded())
        {
            first.CreateClient().Dispose();
            key = File.ReadAllText(KeyFile);
            token = Mint(tenant);
        }

        await using var second = Embedded();
        var response = await second.Client(token).GetAsync($"/v1/tenants/{tenant}/autonomy");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(key, File.ReadAllText(KeyFile));
    }

    [Fact]
    public async Task AConfiguredKeyIsUsedAndNoKeyFileIsWritten()
    {
        var tenant = Tokens.FreshTenant();
        await using var gateway = new CustomGatewayFactory(new Dictionary<string, string?>()) { DataDirectory = _dataDirectory };

        var response = await gateway.Client(Mint(tenant, GatewayFactory.Auth.SigningKey)).GetAsync($"/v1/tenants/{tenant}/autonomy");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(File.Exists(KeyFile));
    }

    [Fact]
    public void ClusterModeWithoutAKeyRefusesToStartSayingHowToSetOne()
    {
        using var gateway = new CustomGatewayFactory(new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = null,
            ["Autonomy:Mode"] = "Cluster",
            ["ConnectionStrings:Autonomy"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none",
            ["Autonomy:Ledger:CheckpointPublicKeys"] = TestCheckpointKeys.PublicKey,
        })
        { DataDirectory = _dataDirectory };

        var error = Record.Exception(() => gateway.CreateClient());

        Assert.NotNull(error);
        Assert.Contains("Auth:SigningKey is not set", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("Auth__SigningKey", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(KeyFile));
    }

    [Fact]
    public void MintTokenInClusterModeWithoutAKeyFailsSayingHowToSetOne()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = MintTokenCommand.Run(["mint-token", "--tenant", "t1", "--role", "admin", "--sub", "alice"], Configuration(("Autonomy:Mode", "Cluster")), output, error);

        Assert.Equal(2, exit);
        Assert.Empty(output.ToString());
        Assert.Contains("Auth__SigningKey", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(KeyFile));
    }

    /// <summary>An embedded gateway on this test's data directory, without a configured key.</summary>
    private CustomGatewayFactory Embedded() =>
        new(new Dictionary<string, string?> { ["Auth:SigningKey"] = null }) { DataDirectory = _dataDirectory, KeepDataDirectory = true };

    /// <summary>Runs mint-token as docs/policy-and-modes.md ("Minting a token") does, with the gateway's issuer and audience and this data directory.</summary>
    private string Mint(string tenant, string? key = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = MintTokenCommand.Run(
            ["mint-token", "--tenant", tenant, "--role", "admin", "--sub", "alice"],
            key is null ? Configuration() : Configuration(("Auth:SigningKey", key)),
            output,
            error);
        Assert.True(exit == 0, error.ToString());
        return output.ToString().Trim();
    }

    private IConfiguration Configuration(params (string Key, string Value)[] extra) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autonomy:DataDirectory"] = _dataDirectory,
            ["Auth:Issuer"] = GatewayFactory.Auth.Issuer,
            ["Auth:Audience"] = GatewayFactory.Auth.Audience,
        }.Concat(extra.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)))).Build();
}

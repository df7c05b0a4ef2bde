using System.Net;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Autonomy.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class OperationsTests(GatewayFactory factory)
{
    [Fact]
    public async Task OpenApiDocumentListsTheContractPathsWithoutAuth()
    {
        var response = await factory.Client(null).GetAsync("/openapi/v1.json");

        var document = await response.Expect(HttpStatusCode.OK);
        var paths = document["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/v1/tenants/{tenantId}/autonomy/modes/{actionType}"));
        Assert.True(paths.ContainsKey("/v1/tenants/{tenantId}/accounts/{accountId}/signals"));
        Assert.True(paths.ContainsKey("/v1/tenants/{tenantId}/ledger/export"));
        Assert.True(paths.ContainsKey("/v1/platform/kill-switch"));
        Assert.Equal("bearer", (string?)document["components"]?["securitySchemes"]?["Bearer"]?["scheme"]);
        var modeSchema = document["components"]?["schemas"]?.AsObject().FirstOrDefault(s => s.Key.Contains("AutonomyModeV1", StringComparison.Ordinal)).Value;
        Assert.Contains("AUTO_EXECUTE", modeSchema?.ToJsonString() ?? document.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LiveHealthAnswersWithoutAuth()
    {
        var response = await factory.Client(null).GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadyHealthAnswersWhenTheClusterDoes()
    {
        var response = await factory.Client(null).GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MetricsAreScrapedWithoutATokenAndCountAcceptedSignals()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = await factory.Client(Tokens.Ingest(tenant)).PostAsync(
            $"/v1/tenants/{tenant}/accounts/acc-1/signals",
            new StringContent("""{"signals":[{"id":"m-1","type":"WEBSITE_VISIT","value":0.2}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, ingest.StatusCode);

        var metrics = await factory.Client(null).GetStringAsync("/metrics");

        Assert.Contains("autonomy_signals_accepted", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRouteIs404ProblemDetails()
    {
        var response = await factory.Client(null).GetAsync("/v1/nothing-here");

        await response.Expect(HttpStatusCode.NotFound);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void ShortSigningKeyStopsTheStartNamingTheSetting()
    {
        using var shortKey = factory.WithWebHostBuilder(b => b.UseSetting("Auth:SigningKey", "too-short"));

        var error = Record.Exception(() => shortKey.CreateClient());

        Assert.NotNull(error);
        Assert.Contains("Auth:SigningKey", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterModeWithoutAConnectionStringNamesTheSetting()
    {
        using var cluster = factory.WithWebHostBuilder(b => b.UseSetting("Autonomy:Mode", "Cluster"));

        var error = Record.Exception(() => cluster.CreateClient());

        Assert.NotNull(error);
        Assert.Contains("ConnectionStrings:Autonomy", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MintTokenPrintsATokenTheGatewayAccepts()
    {
        var tenant = Tokens.FreshTenant();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = GatewayFactory.Auth.SigningKey,
            ["Auth:Issuer"] = GatewayFactory.Auth.Issuer,
            ["Auth:Audience"] = GatewayFactory.Auth.Audience,
        }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = MintTokenCommand.Run(["mint-token", "--tenant", tenant, "--role", "admin", "--role", "seller", "--sub", "alice", "--hours", "1"], configuration, output, error);

        Assert.Equal(0, exit);
        var response = await factory.Client(output.ToString().Trim()).GetAsync($"/v1/tenants/{tenant}/autonomy");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("mint-token", "--role", "admin", "--sub", "alice")]
    [InlineData("mint-token", "--tenant", "t1", "--sub", "alice")]
    [InlineData("mint-token", "--tenant", "t1", "--role", "root", "--sub", "alice")]
    [InlineData("mint-token", "--tenant", "t1", "--role", "admin")]
    [InlineData("mint-token", "--tenant", "t1", "--role", "admin", "--sub", "alice", "--hours")]
    public void MintTokenRejectsIncompleteArguments(params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = GatewayFactory.Auth.SigningKey,
            ["Auth:Issuer"] = GatewayFactory.Auth.Issuer,
            ["Auth:Audience"] = GatewayFactory.Auth.Audience,
        }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = MintTokenCommand.Run(args, configuration, output, error);

        Assert.Equal(2, exit);
        Assert.Empty(output.ToString());
        Assert.Contains("usage", error.ToString(), StringComparison.Ordinal);
    }
}

using System.Net;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>GET/PUT .../engine and the cost budget's thresholds: validated per field, ledgered, the key never shown.</summary>
[Collection(GatewayCollection.Name)]
public sealed class EngineApiTests(GatewayFactory factory)
{
    private const string Chat = """{"kind":"chat","fallback":"playbook","chat":{"baseUrl":"http://127.0.0.1:9/v1","model":"gpt-test","apiKey":"sk-very-secret","maxOutputTokens":512,"promptPricePer1k":0.5,"completionPricePer1k":1.5}}""";

    [Fact]
    public async Task TheEngineIsSetShownWithoutItsKeyAndLedgered()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var before = await (await admin.GetAsync($"/v1/tenants/{tenant}/engine")).Expect(HttpStatusCode.OK);
        Assert.Equal(("playbook", "defer"), ((string?)before["engine"]!["kind"], (string?)before["engine"]!["fallback"]));

        var put = await (await admin.PutJson($"/v1/tenants/{tenant}/engine", Chat)).Expect(HttpStatusCode.OK);
        var get = await (await admin.GetAsync($"/v1/tenants/{tenant}/engine")).Expect(HttpStatusCode.OK);
        foreach (var body in new[] { put, get })
        {
            Assert.Equal(("chat", "playbook"), ((string?)body["engine"]!["kind"], (string?)body["engine"]!["fallback"]));
            Assert.Equal(("gpt-test", true, 512), ((string?)body["engine"]!["chat"]!["model"], (bool?)body["engine"]!["chat"]!["apiKeySet"], (int?)body["engine"]!["chat"]!["maxOutputTokens"]));
            Assert.Null(body["engine"]!["chat"]!["apiKey"]);
            Assert.Equal(0, (long?)body["engineTokensUsedToday"]);
        }

        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Equal("chat", (string?)autonomy["engine"]!["kind"]);
        var history = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy/history")).Expect(HttpStatusCode.OK);
        Assert.Contains(history["items"]!.AsArray(), c => (string?)c!["kind"] == "engine");
        var ledger = await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger/export")).Content.ReadAsStringAsync();
        foreach (var text in new[] { put.ToJsonString(), get.ToJsonString(), autonomy.ToJsonString(), history.ToJsonString(), ledger })
        {
            Assert.DoesNotContain("sk-very-secret", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"fallback":"defer"}""", "kind")]
    [InlineData("""{"kind":"gpt"}""", "kind")]
    [InlineData("""{"kind":"playbook","fallback":"retry"}""", "fallback")]
    [InlineData("""{"kind":"chat"}""", "chat")]
    [InlineData("""{"kind":"chat","chat":{"model":"m"}}""", "chat.baseUrl")]
    [InlineData("""{"kind":"chat","chat":{"baseUrl":"ftp://x.example/v1","model":"m"}}""", "chat.baseUrl")]
    [InlineData("""{"kind":"chat","chat":{"baseUrl":"https://x.example/v1"}}""", "chat.model")]
    [InlineData("""{"kind":"chat","chat":{"baseUrl":"https://x.example/v1","model":"m","maxOutputTokens":1}}""", "chat.maxOutputTokens")]
    [InlineData("""{"kind":"chat","chat":{"baseUrl":"https://x.example/v1","model":"m","promptPricePer1k":-1}}""", "chat.promptPricePer1k")]
    [InlineData("""{"kind":"chat","chat":{"baseUrl":"https://x.example/v1","model":"m","completionPricePer1k":5000}}""", "chat.completionPricePer1k")]
    public async Task ABadEngineIs400NamingTheFieldAndChangesNothing(string body, string field)
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        await (await admin.PutJson($"/v1/tenants/{tenant}/engine", body)).ExpectValidationProblem(field);

        var engine = await (await admin.GetAsync($"/v1/tenants/{tenant}/engine")).Expect(HttpStatusCode.OK);
        Assert.Equal("playbook", (string?)engine["engine"]!["kind"]);
    }

    [Fact]
    public async Task OnlyAnAdminSetsOrReadsTheEngine()
    {
        var tenant = Tokens.FreshTenant();
        var seller = factory.Client(Tokens.Seller(tenant, "seller-1"));
        Assert.Equal(HttpStatusCode.Forbidden, (await seller.GetAsync($"/v1/tenants/{tenant}/engine")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await seller.PutJson($"/v1/tenants/{tenant}/engine", Chat)).StatusCode);
    }

    [Fact]
    public async Task TheCostBudgetCarriesTheGatesThresholds()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var put = await (await admin.PutJson($"/v1/tenants/{tenant}/cost-budget",
            """{"decisionRunsPerDay":100,"engineTokensPerDay":5000,"pullsPerDay":10,"minMarginalValue":0.3,"minRunIntervalSeconds":600}""")).Expect(HttpStatusCode.OK);
        Assert.Equal((0.3, 600L), ((double?)put["minMarginalValue"], (long?)put["minRunIntervalSeconds"]));

        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Equal((0.3, 600L, 5000L), ((double?)autonomy["costBudget"]!["minMarginalValue"], (long?)autonomy["costBudget"]!["minRunIntervalSeconds"], (long?)autonomy["costBudget"]!["engineTokensPerDay"]));

        // Left out, a threshold is the silo's default again.
        await (await admin.PutJson($"/v1/tenants/{tenant}/cost-budget", """{"decisionRunsPerDay":100,"engineTokensPerDay":5000,"pullsPerDay":10}""")).Expect(HttpStatusCode.OK);
        autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Null(autonomy["costBudget"]!["minRunIntervalSeconds"]);
    }

    [Theory]
    [InlineData(""","minMarginalValue":-0.1""", "minMarginalValue")]
    [InlineData(""","minMarginalValue":1e9""", "minMarginalValue")]
    [InlineData(""","minRunIntervalSeconds":-1""", "minRunIntervalSeconds")]
    [InlineData(""","minRunIntervalSeconds":86401""", "minRunIntervalSeconds")]
    public async Task ABadThresholdIs400NamingTheField(string extra, string field)
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        await (await admin.PutJson($"/v1/tenants/{tenant}/cost-budget", """{"decisionRunsPerDay":100,"engineTokensPerDay":5000,"pullsPerDay":10""" + extra + "}")).ExpectValidationProblem(field);
    }

    [Fact]
    public async Task AChatTimeoutNotBelowOrleansResponseTimeoutStopsTheStartNamingBothSettings()
    {
        await using var custom = new CustomGatewayFactory(new Dictionary<string, string?>
        {
            ["Autonomy:Chat:TotalTimeout"] = "00:00:45",
            ["Orleans:Messaging:ResponseTimeout"] = "00:00:30",
        });

        var thrown = Assert.ThrowsAny<Exception>(() => custom.CreateClient());

        var message = thrown.ToString();
        Assert.Contains("Autonomy:Chat:TotalTimeout", message, StringComparison.Ordinal);
        Assert.Contains("Orleans:Messaging:ResponseTimeout", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APrivateBaseUrlIsRefusedUnlessTheOperatorAllowsIt()
    {
        await using var strict = new CustomGatewayFactory(new Dictionary<string, string?> { ["Autonomy:Chat:AllowPrivateNetworks"] = "false" });
        var tenant = Tokens.FreshTenant();
        var problem = await (await strict.Client(Tokens.Admin(tenant)).PutJson($"/v1/tenants/{tenant}/engine", Chat)).ExpectValidationProblem("chat.baseUrl");
        Assert.Contains("AllowPrivateNetworks", problem.ToJsonString(), StringComparison.Ordinal);
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// <c>parametersSchema</c> on the catalog (a JSON Schema subset; outside it a 400 naming the field) and
/// <c>maxChatConfidence</c> on the engine, over HTTP.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ParametersSchemaApiTests(GatewayFactory factory)
{
    private const string Schema = """{"type":"object","additionalProperties":false,"required":["sku"],"properties":{"sku":{"type":"string","pattern":"^[A-Z0-9-]{3,20}$"},"quantity":{"type":"integer","minimum":1,"maximum":10}}}""";

    [Fact]
    public async Task ATypesSchemaIsStoredShownAndLedgeredAndTheBuiltInsShowTheirDefaults()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));
        var body = $$"""{"riskLevel":"LOW","externalContact":false,"allowListed":true,"revertible":false,"parametersSchema":{{Schema}}}""";

        var put = await (await admin.PutJson($"/v1/tenants/{tenant}/actions/catalog/ORDER_SAMPLE", body)).Expect(HttpStatusCode.OK);
        var catalog = await (await admin.GetAsync($"/v1/tenants/{tenant}/actions/catalog?limit=100")).Expect(HttpStatusCode.OK);

        Assert.Equal("^[A-Z0-9-]{3,20}$", (string?)put["parametersSchema"]!["properties"]!["sku"]!["pattern"]);
        var items = catalog["items"]!.AsArray();
        Assert.True(JsonNode.DeepEquals(put["parametersSchema"], items.Single(i => (string?)i!["actionType"] == "ORDER_SAMPLE")!["parametersSchema"]));
        Assert.Equal(false, (bool?)items.Single(i => (string?)i!["actionType"] == "SEND_EMAIL")!["parametersSchema"]!["additionalProperties"]);
        var ledger = await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?type=CONFIG_CHANGED")).Expect(HttpStatusCode.OK);
        Assert.Contains(ledger["items"]!.AsArray(), e => e!["payload"]!.ToJsonString().Contains("quantity", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"type":"object","oneOf":[]}""")]
    [InlineData("""{"type":"string"}""")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","pattern":"(a)\\1"}}}""")]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":"#/definitions/x"}}}""")]
    public async Task ASchemaOutsideTheSubsetIs400NamingParametersSchema(string schema)
    {
        var tenant = Tokens.FreshTenant();
        var body = $$"""{"riskLevel":"LOW","externalContact":false,"allowListed":true,"revertible":false,"parametersSchema":{{schema}}}""";
        await (await factory.Client(Tokens.Admin(tenant)).PutJson($"/v1/tenants/{tenant}/actions/catalog/ORDER_SAMPLE", body)).ExpectValidationProblem("parametersSchema");
    }

    [Fact]
    public async Task TheChatConfidenceCapDefaultsToEightTenthsIsSetByTheAdminAndBoundedToOne()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        var path = $"/v1/tenants/{tenant}/engine";

        Assert.Equal(0.8, (double?)(await (await admin.GetAsync(path)).Expect(HttpStatusCode.OK))["engine"]!["maxChatConfidence"]);
        var set = await (await admin.PutJson(path, """{"kind":"playbook","maxChatConfidence":0.95}""")).Expect(HttpStatusCode.OK);
        Assert.Equal(0.95, (double?)set["engine"]!["maxChatConfidence"]);
        await (await admin.PutJson(path, """{"kind":"playbook","maxChatConfidence":1.5}""")).ExpectValidationProblem("maxChatConfidence");
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>The trigger registry is visible and configurable, and a playbook rule no trigger starts is reported.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TriggersApiTests(GatewayFactory factory)
{
    [Fact]
    public async Task TheRegistryListsTheBuiltInTypesWithTheirTimings()
    {
        var tenant = Tokens.FreshTenant();

        var items = await Triggers(factory.Client(Tokens.Admin(tenant)), tenant);

        var reply = items["EMAIL_REPLY_RECEIVED"];
        Assert.Equal(30, (int?)reply["debounceSeconds"]);
        Assert.Equal(300, (int?)reply["maxWaitSeconds"]);
        Assert.Equal(0, (int?)reply["cooldownSeconds"]);
        Assert.True((bool?)reply["builtIn"]);
        Assert.False(reply.AsObject().ContainsKey("version"));
        Assert.Equal(86_400, (int?)items["RENEWAL_WINDOW_OPENED"]["cooldownSeconds"]);
    }

    [Fact]
    public async Task PuttingANewTypeRegistersItAndLedgersTheChange()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));

        var saved = await (await admin.PutJson($"/v1/tenants/{tenant}/triggers/CONTRACT_SIGNED", """{"debounceSeconds":30,"maxWaitSeconds":300,"cooldownSeconds":60}"""))
            .Expect(HttpStatusCode.OK);

        Assert.Equal("CONTRACT_SIGNED", (string?)saved["type"]);
        Assert.False((bool?)saved["builtIn"]);
        var version = (long)saved["version"]!;
        var listed = (await Triggers(admin, tenant))["CONTRACT_SIGNED"];
        Assert.Equal(30, (int?)listed["debounceSeconds"]);
        Assert.Equal(300, (int?)listed["maxWaitSeconds"]);
        Assert.Equal(60, (int?)listed["cooldownSeconds"]);
        Assert.False((bool?)listed["builtIn"]);

        var ledger = await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?type=CONFIG_CHANGED")).Expect(HttpStatusCode.OK);
        var entry = Assert.Single(ledger["items"]!.AsArray(), e => (string?)e!["payload"]?["kind"] == "trigger:CONTRACT_SIGNED");
        Assert.Equal(version, (long?)entry!["payload"]?["version"]);
        Assert.Equal("admin-1", (string?)entry["actor"]);
        Assert.Null(entry["payload"]?["before"]);
        Assert.Equal("CONTRACT_SIGNED", (string?)entry["payload"]?["after"]?["type"]);
    }

    [Fact]
    public async Task ReTuningABuiltInKeepsItBuiltInAndRecordsTheOldTimings()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));

        await (await admin.PutJson($"/v1/tenants/{tenant}/triggers/EMAIL_REPLY_RECEIVED", """{"debounceSeconds":5,"maxWaitSeconds":10,"cooldownSeconds":120}"""))
            .Expect(HttpStatusCode.OK);

        var listed = (await Triggers(admin, tenant))["EMAIL_REPLY_RECEIVED"];
        Assert.Equal(5, (int?)listed["debounceSeconds"]);
        Assert.Equal(120, (int?)listed["cooldownSeconds"]);
        Assert.True((bool?)listed["builtIn"]);
        var history = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy/history")).Expect(HttpStatusCode.OK);
        var change = Assert.Single(history["items"]!.AsArray());
        Assert.Equal("trigger:EMAIL_REPLY_RECEIVED", (string?)change!["kind"]);
        Assert.NotNull(change["before"]);
    }

    [Theory]
    [InlineData("""{"debounceSeconds":-1,"maxWaitSeconds":300,"cooldownSeconds":0}""", "debounceSeconds")]
    [InlineData("""{"debounceSeconds":60,"maxWaitSeconds":30,"cooldownSeconds":0}""", "maxWaitSeconds")]
    [InlineData("""{"debounceSeconds":0,"maxWaitSeconds":999999999,"cooldownSeconds":0}""", "maxWaitSeconds")]
    [InlineData("""{"debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":-5}""", "cooldownSeconds")]
    [InlineData("""{"debounceSeconds":0,"maxWaitSeconds":0}""", "cooldownSeconds")]
    [InlineData("""{"debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0,"extra":1}""", "extra")]
    public async Task BadTimingsAre400NamingTheFieldAndChangeNothing(string body, string field)
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        await (await admin.PutJson($"/v1/tenants/{tenant}/triggers/CONTRACT_SIGNED", body)).ExpectValidationProblem(field);

        Assert.False((await Triggers(admin, tenant)).ContainsKey("CONTRACT_SIGNED"));
    }

    [Fact]
    public async Task ATypeThatIsNotUpperSnakeCaseIs400NamingType()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Admin(tenant)).PutJson($"/v1/tenants/{tenant}/triggers/contract-signed", """{"debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}""");

        await response.ExpectValidationProblem("type");
    }

    [Fact]
    public async Task OnlyAnAdminReadsOrWritesTriggers()
    {
        var tenant = Tokens.FreshTenant();
        foreach (var token in new[] { Tokens.Seller(tenant, "seller-1"), Tokens.Ingest(tenant), Tokens.Auditor(tenant) })
        {
            var client = factory.Client(token);
            await (await client.GetAsync($"/v1/tenants/{tenant}/triggers")).Expect(HttpStatusCode.Forbidden);
            await (await client.PutJson($"/v1/tenants/{tenant}/triggers/CONTRACT_SIGNED", """{"debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}"""))
                .Expect(HttpStatusCode.Forbidden);
        }

        await (await factory.Client(Tokens.Admin(Tokens.FreshTenant())).GetAsync($"/v1/tenants/{tenant}/triggers")).Expect(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task APlaybookRuleNoTriggerStartsIsAWarningUntilTheTypeIsRegistered()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        const string Playbook = """
            {"rules":[{"when":{"signalType":"RENEWAL_WINDOW_OPENED"},"propose":[{"actionType":"CREATE_TASK","parameters":{},"confidence":0.9}]},
                      {"when":{"signalType":"CONTRACT_SIGNED"},"propose":[{"actionType":"CREATE_TASK","parameters":{},"confidence":0.9}]}]}
            """;

        var first = await (await admin.PutJson($"/v1/tenants/{tenant}/playbook", Playbook)).Expect(HttpStatusCode.OK);

        var warning = Assert.Single(first["warnings"]!.AsArray());
        Assert.Equal("CONTRACT_SIGNED", (string?)warning!["signalType"]);
        Assert.Equal("rules[1].when.signalType", (string?)warning["field"]);
        Assert.Contains("CONTRACT_SIGNED", (string?)warning["message"], StringComparison.Ordinal);

        await (await admin.PutJson($"/v1/tenants/{tenant}/triggers/CONTRACT_SIGNED", """{"debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}""")).Expect(HttpStatusCode.OK);
        var second = await (await admin.PutJson($"/v1/tenants/{tenant}/playbook", Playbook)).Expect(HttpStatusCode.OK);

        Assert.Empty(second["warnings"]!.AsArray());
        Assert.True((await Triggers(admin, tenant)).ContainsKey("CONTRACT_SIGNED"), "a playbook without a triggers array keeps the tenant's trigger types");
    }

    [Fact]
    public async Task ARegisteredTypeStartsADecisionRun()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        var ingest = factory.Client(Tokens.Ingest(tenant));
        await (await admin.PutJson($"/v1/tenants/{tenant}/triggers/CONTRACT_SIGNED", """{"debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}""")).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/playbook", """
            {"rules":[{"when":{"signalType":"CONTRACT_SIGNED"},"propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Kick-off"},"confidence":0.9}]}]}
            """)).Expect(HttpStatusCode.OK);
        await (await ingest.PutJson($"/v1/tenants/{tenant}/accounts/acc-1", """{"ownerId":"seller-1","lifecycle":"CUSTOMER"}""")).Expect(HttpStatusCode.OK);

        await (await ingest.PostJson(
            $"/v1/tenants/{tenant}/accounts/acc-1/signals",
            """{"signals":[{"id":"s-1","type":"CONTRACT_SIGNED","occurredAt":"2026-01-31T08:00:00Z","value":0.8}]}""")).Expect(HttpStatusCode.Accepted);

        // A high-value signal (0.8) runs at once; one of 0.5 alone would be parked by the gate's default threshold (0.7).
        var seller = factory.Client(Tokens.Seller(tenant, "seller-1"));
        await Eventually.FoundAsync(
            async () => (await (await seller.GetAsync($"/v1/tenants/{tenant}/sellers/seller-1/needs-input")).Expect(HttpStatusCode.OK))["items"]!
                .AsArray().FirstOrDefault(p => (string?)p!["parameters"]?["title"] == "Kick-off"),
            TimeSpan.FromSeconds(10),
            "the CONTRACT_SIGNED rule's proposal");
    }

    [Fact]
    public async Task TheTenantsOwnTriggerTypesAreBounded()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        const string Body = """{"debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}""";
        for (var i = 0; i < Tenants.TenantGrain.MaxTenantTriggerTypes; i++)
        {
            await (await admin.PutJson($"/v1/tenants/{tenant}/triggers/T_{i}", Body)).Expect(HttpStatusCode.OK);
        }

        var refused = await (await admin.PutJson($"/v1/tenants/{tenant}/triggers/ONE_TOO_MANY", Body)).Expect(HttpStatusCode.Conflict);
        Assert.Equal("TOO_MANY_TRIGGER_TYPES", (string?)refused["code"]);
        await (await admin.PutJson($"/v1/tenants/{tenant}/triggers/T_0", """{"debounceSeconds":1,"maxWaitSeconds":2,"cooldownSeconds":0}""")).Expect(HttpStatusCode.OK);
    }

    private static async Task<Dictionary<string, JsonNode>> Triggers(HttpClient client, string tenant)
    {
        var body = await (await client.GetAsync($"/v1/tenants/{tenant}/triggers?limit=500")).Expect(HttpStatusCode.OK);
        Assert.Null(body["nextCursor"]?.GetValue<string>());
        return body["items"]!.AsArray().ToDictionary(i => (string)i!["type"]!, i => i!);
    }
}

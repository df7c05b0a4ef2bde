using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>Connectors are configured per tenant by an admin; the secret is write-only, the change ledgered without it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ConnectorsApiTests(GatewayFactory factory)
{
    private const string Crm = """
        {"kind":"HTTP_JSON","endpoint":"https://crm.example.com/api/accounts/{accountId}/activity?since={since}",
         "authHeader":"X-Api-Key","secret":"very-secret-value","timeoutSeconds":8,
         "mapping":{"items":"data.events","id":"id","type":"kind","value":"score","occurredAt":"at",
                    "types":{"reply":"EMAIL_REPLY_RECEIVED"},"posture":{"intent":"data.account.intent"}},
         "cadence":{"hot":{"minSeconds":300,"maxSeconds":900}},
         "throttle":{"burst":10,"perMinute":120}}
        """;

    [Fact]
    public async Task APutConnectorIsShownWithoutItsSecretAndLedgeredWithWhoBeforeAfterAndVersion()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));

        var saved = await (await admin.PutJson($"/v1/tenants/{tenant}/connectors/crm", Crm)).Expect(HttpStatusCode.OK);
        var read = await (await admin.GetAsync($"/v1/tenants/{tenant}/connectors/crm")).Expect(HttpStatusCode.OK);

        foreach (var view in new[] { saved, read })
        {
            Assert.Equal("HTTP_JSON", (string?)view["kind"]);
            Assert.True((bool?)view["secretSet"]);
            Assert.False(view.AsObject().ContainsKey("secret"));
            Assert.DoesNotContain("very-secret-value", view.ToJsonString(), StringComparison.Ordinal);
            Assert.Equal(900, (double?)view["cadence"]!["hot"]!["maxSeconds"]);
            Assert.Equal(43_200, (double?)view["cadence"]!["cold"]!["maxSeconds"]);
            Assert.Equal(120, (double?)view["throttle"]!["perMinute"]);
            Assert.Equal("EMAIL_REPLY_RECEIVED", (string?)view["mapping"]!["types"]!["reply"]);
        }

        var ledger = await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?type=CONFIG_CHANGED")).Expect(HttpStatusCode.OK);
        var entry = Assert.Single(ledger["items"]!.AsArray())!;
        Assert.Equal("admin-1", (string?)entry["actor"]);
        Assert.Equal("connector:crm", (string?)entry["payload"]!["kind"]);
        Assert.Equal((long?)saved["version"], (long?)entry["payload"]!["version"]);
        Assert.Null(entry["payload"]!["before"]);
        Assert.True((bool?)entry["payload"]!["after"]!["connector"]!["secretSet"]);
        Assert.DoesNotContain("very-secret-value", entry.ToJsonString(), StringComparison.Ordinal);

        // A PUT without a secret keeps the stored one; the change shows the before.
        var again = await (await admin.PutJson($"/v1/tenants/{tenant}/connectors/crm", Crm.Replace("\"secret\":\"very-secret-value\",", "", StringComparison.Ordinal))).Expect(HttpStatusCode.OK);
        Assert.True((bool?)again["secretSet"]);
        var cleared = await (await admin.PutJson($"/v1/tenants/{tenant}/connectors/crm", Crm.Replace("\"secret\":\"very-secret-value\"", "\"clearSecret\":true", StringComparison.Ordinal))).Expect(HttpStatusCode.OK);
        Assert.False((bool?)cleared["secretSet"]);
        var history = await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?type=CONFIG_CHANGED")).Expect(HttpStatusCode.OK);
        Assert.Equal(3, history["items"]!.AsArray().Count);
        Assert.True((bool?)history["items"]![1]!["payload"]!["before"]!["secretSet"]);
    }

    [Fact]
    public async Task ASecretLeftOutDoesNotFollowTheConnectorToAnotherHostOrHeader()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));
        var path = $"/v1/tenants/{tenant}/connectors/crm";
        var withoutSecret = Crm.Replace("\"secret\":\"very-secret-value\",", "", StringComparison.Ordinal);
        await (await admin.PutJson(path, Crm)).Expect(HttpStatusCode.OK);

        // Another path and query on the same origin (the default port spelled out, the host in capitals) keeps the secret.
        var samePlace = await (await admin.PutJson(path, withoutSecret.Replace("https://crm.example.com/api/", "https://CRM.example.com:443/v2/", StringComparison.Ordinal))).Expect(HttpStatusCode.OK);
        Assert.True((bool?)samePlace["secretSet"]);

        // Another host, another port, another scheme, another header: each drops it.
        string[] elsewhere =
        [
            withoutSecret.Replace("crm.example.com", "attacker.example.net", StringComparison.Ordinal),
            withoutSecret.Replace("crm.example.com", "crm.example.com:8443", StringComparison.Ordinal),
            withoutSecret.Replace("https://crm.example.com", "http://crm.example.com", StringComparison.Ordinal),
            withoutSecret.Replace("\"authHeader\":\"X-Api-Key\"", "\"authHeader\":\"X-Forwarded-Debug\"", StringComparison.Ordinal),
        ];
        foreach (var body in elsewhere)
        {
            await (await admin.PutJson(path, Crm)).Expect(HttpStatusCode.OK);

            var moved = await (await admin.PutJson(path, body)).Expect(HttpStatusCode.OK);

            Assert.False((bool?)moved["secretSet"], body);
            Assert.False((bool?)(await (await admin.GetAsync(path)).Expect(HttpStatusCode.OK))["secretSet"], body);
        }

        // The drop is ledgered as a change of the secret; a new secret sent with the move is kept.
        var ledger = await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?type=CONFIG_CHANGED")).Expect(HttpStatusCode.OK);
        var last = ledger["items"]!.AsArray()[^1]!["payload"]!;
        Assert.True((bool?)last["before"]!["secretSet"]);
        Assert.False((bool?)last["after"]!["connector"]!["secretSet"]);
        Assert.True((bool?)last["after"]!["secretChanged"]);
        var movedWithSecret = await (await admin.PutJson(path, Crm.Replace("crm.example.com", "crm2.example.com", StringComparison.Ordinal))).Expect(HttpStatusCode.OK);
        Assert.True((bool?)movedWithSecret["secretSet"]);
    }

    [Theory]
    [InlineData("""{"endpoint":"https://x.example.com"}""", "kind")]
    [InlineData("""{"kind":"HTTP_JSON","mapping":{"id":"id","type":"t"}}""", "endpoint")]
    [InlineData("""{"kind":"HTTP_JSON","endpoint":"ftp://x.example.com","mapping":{"id":"id","type":"t"}}""", "endpoint")]
    [InlineData("""{"kind":"HTTP_JSON","endpoint":"https://x.example.com"}""", "mapping")]
    [InlineData("""{"kind":"HTTP_JSON","endpoint":"https://x.example.com","mapping":{"items":"data..events","id":"id","type":"t"}}""", "mapping.items")]
    [InlineData("""{"kind":"HTTP_JSON","endpoint":"https://x.example.com","mapping":{"items":"events"}}""", "mapping.id")]
    [InlineData("""{"kind":"HTTP_JSON","endpoint":"https://x.example.com","mapping":{"id":"id","type":"t","types":{"a":"not upper"}}}""", "mapping.types.a")]
    [InlineData("""{"kind":"SYNTHETIC","secret":"s"}""", "authHeader")]
    [InlineData("""{"kind":"SYNTHETIC","endpoint":"https://x.example.com"}""", "endpoint")]
    [InlineData("""{"kind":"SYNTHETIC","cadence":{"hot":{"minSeconds":900,"maxSeconds":300}}}""", "cadence.hot.maxSeconds")]
    [InlineData("""{"kind":"SYNTHETIC","cadence":{"cold":{"minSeconds":5}}}""", "cadence.cold.minSeconds")]
    [InlineData("""{"kind":"SYNTHETIC","throttle":{"burst":0,"perMinute":10}}""", "throttle.burst")]
    [InlineData("""{"kind":"SYNTHETIC","throttle":{"burst":5}}""", "throttle.perMinute")]
    [InlineData("""{"kind":"SYNTHETIC","timeoutSeconds":90}""", "timeoutSeconds")]
    [InlineData("""{"kind":"FTP"}""", "kind")]
    public async Task BadConnectorsAre400NamingTheFieldAndChangeNothing(string body, string field)
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        await (await admin.PutJson($"/v1/tenants/{tenant}/connectors/crm", body)).ExpectValidationProblem(field);

        await (await admin.GetAsync($"/v1/tenants/{tenant}/connectors/crm")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AConnectorMayNotPointIntoThePrivateNetworkUnlessTheOperatorAllowsIt()
    {
        await using var strict = new CustomGatewayFactory(new Dictionary<string, string?> { ["Autonomy:Webhooks:AllowPrivateNetworks"] = "false" });
        var tenant = Tokens.FreshTenant();

        var response = await strict.Client(Tokens.Admin(tenant)).PutJson(
            $"/v1/tenants/{tenant}/connectors/crm", """{"kind":"HTTP_JSON","endpoint":"http://169.254.169.254/latest/{accountId}","mapping":{"id":"id","type":"t"}}""");

        var problem = await response.ExpectValidationProblem("endpoint");
        Assert.Contains("AllowPrivateNetworks", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadNameIs400AndOnlyAdminsMayReadOrWriteConnectors()
    {
        var tenant = Tokens.FreshTenant();

        await (await factory.Client(Tokens.Admin(tenant)).PutJson($"/v1/tenants/{tenant}/connectors/CRM!", """{"kind":"SYNTHETIC"}""")).ExpectValidationProblem("name");
        await (await factory.Client(Tokens.Seller(tenant, "seller-1")).GetAsync($"/v1/tenants/{tenant}/connectors/crm")).Expect(HttpStatusCode.Forbidden);
        await (await factory.Client(Tokens.Ingest(tenant)).PutJson($"/v1/tenants/{tenant}/connectors/crm", """{"kind":"SYNTHETIC"}""")).Expect(HttpStatusCode.Forbidden);
        var synthetic = await (await factory.Client(Tokens.Admin(tenant)).PutJson($"/v1/tenants/{tenant}/connectors/demo", """{"kind":"SYNTHETIC","seed":42}""")).Expect(HttpStatusCode.OK);
        Assert.Equal("SYNTHETIC", (string?)synthetic["kind"]);
        Assert.Equal(42, (long?)synthetic["seed"]);
        Assert.False((bool?)synthetic["secretSet"]);
        Assert.Equal("events", (string?)synthetic["mapping"]!["items"]);
    }

    [Fact]
    public async Task TheAccountViewShowsItsPullCadencePerConnector()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        await (await admin.PutJson($"/v1/tenants/{tenant}/connectors/demo", """{"kind":"SYNTHETIC"}""")).Expect(HttpStatusCode.OK);
        await (await factory.Client(Tokens.Ingest(tenant)).PutJson($"/v1/tenants/{tenant}/accounts/acc-1", """{"lifecycle":"CUSTOMER"}""")).Expect(HttpStatusCode.OK);

        var pull = await Eventually.FoundAsync<JsonNode>(async () =>
        {
            var account = await (await admin.GetAsync($"/v1/tenants/{tenant}/accounts/acc-1")).Expect(HttpStatusCode.OK);
            return account["pulls"]!.AsArray().FirstOrDefault();
        }, TimeSpan.FromSeconds(20), "the account planned its pulls");

        Assert.Equal("demo", (string?)pull["connector"]);
        Assert.Equal("COLD", (string?)pull["tier"]);
        Assert.Equal(43_200, (double?)pull["intervalSeconds"]);
        Assert.NotNull((string?)pull["nextPullAt"]);
    }
}

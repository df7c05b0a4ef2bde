using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

// The contract of configuration: the policy dry run, modes, the catalog, kill switches, opt-in, account upserts, digest settings.
public abstract partial class ContractTestsBase
{
    [Fact]
    public async Task PolicyDryRunSpellsDecisionsAndReasonsAsTheContract()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        await (await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/SEND_EMAIL", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);

        async Task<JsonNode> Evaluate(string actionType) => await (await admin.PostJson(
            $"/v1/tenants/{tenant}/policy/evaluate",
            $$"""{"actionType":"{{actionType}}","confidence":0.9,"lifecycle":"CUSTOMER","startedBySchedule":false}""")).Expect(HttpStatusCode.OK);

        var task = await Evaluate("CREATE_TASK");
        var email = await Evaluate("SEND_EMAIL");
        var discount = await Evaluate("APPLY_DISCOUNT");
        var note = await Evaluate("LOG_NOTE");

        Assert.Equal(("AUTO_EXECUTE", "ALLOWED_BY_POLICY"), ((string?)task["decision"], (string?)task["reason"]));
        Assert.Equal(("REQUIRE_APPROVAL", "EXTERNAL_CONTACT"), ((string?)email["decision"], (string?)email["reason"]));
        Assert.Equal(("REQUIRE_APPROVAL", "MODE_APPROVAL_REQUIRED"), ((string?)discount["decision"], (string?)discount["reason"]));
        Assert.Equal("REQUIRE_APPROVAL", (string?)note["decision"]);
        Assert.False(string.IsNullOrEmpty((string?)task["policyVersion"]));
        Assert.False(string.IsNullOrEmpty((string?)task["rule"]));
        Assert.False(string.IsNullOrEmpty((string?)task["explanation"]));
    }

    [Fact]
    public async Task ModeChangeReturnsItsVersionAndShowsInAutonomyAndHistory()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var mode = await (await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/DRAFT_EMAIL", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);

        Assert.Equal("AUTO_EXECUTE", (string?)mode["mode"]);
        Assert.True((long?)mode["version"] > 0);
        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Contains(autonomy["modes"]!.AsArray(), m => (string?)m!["actionType"] == "DRAFT_EMAIL" && (string?)m["mode"] == "AUTO_EXECUTE");
        Assert.Equal("APPROVAL_REQUIRED", (string?)autonomy["defaultMode"]);
        var history = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy/history")).Expect(HttpStatusCode.OK);
        Assert.NotEmpty(history["items"]!.AsArray());
        var ledger = await (await factory.Client(Tokens.Auditor(tenant)).GetAsync($"/v1/tenants/{tenant}/ledger?type=CONFIG_CHANGED")).Expect(HttpStatusCode.OK);
        Assert.NotEmpty(ledger["items"]!.AsArray());
        Assert.All(ledger["items"]!.AsArray(), e => Assert.Equal("CONFIG_CHANGED", (string?)e!["type"]));
        Assert.Equal("admin-1", (string?)ledger["items"]![0]!["actor"]);
    }

    [Fact]
    public async Task CatalogListsBuiltInsWithTheirRiskSpelledAsTheContract()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var added = await (await admin.PutJson(
            $"/v1/tenants/{tenant}/actions/catalog/SEND_SMS",
            """{"riskLevel":"MEDIUM","externalContact":true,"allowListed":false,"revertible":false}""")).Expect(HttpStatusCode.OK);
        var catalog = await (await admin.GetAsync($"/v1/tenants/{tenant}/actions/catalog")).Expect(HttpStatusCode.OK);

        Assert.Equal("MEDIUM", (string?)added["riskLevel"]);
        var items = catalog["items"]!.AsArray();
        var task = items.Single(i => (string?)i!["actionType"] == "CREATE_TASK")!;
        Assert.Equal("LOW", (string?)task["riskLevel"]);
        Assert.Equal("HIGH", (string?)items.Single(i => (string?)i!["actionType"] == "APPLY_DISCOUNT")!["riskLevel"]);
        Assert.True((bool?)items.Single(i => (string?)i!["actionType"] == "SEND_EMAIL")!["externalContact"]);
        Assert.Contains(items, i => (string?)i!["actionType"] == "SEND_SMS");
    }

    [Fact]
    public async Task EngagedKillSwitchIsVisibleInTheAutonomyState()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var engaged = await (await admin.PutJson($"/v1/tenants/{tenant}/kill-switches/all", """{"engaged":true,"reason":"audit"}""")).Expect(HttpStatusCode.OK);
        var typeSwitch = await (await admin.PutJson($"/v1/tenants/{tenant}/kill-switches/SEND_EMAIL", """{"engaged":true}""")).Expect(HttpStatusCode.OK);
        var seen = await (await factory.Client(Tokens.Seller(tenant, "seller-1")).GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);

        Assert.True((bool?)engaged["engaged"]);
        Assert.Equal("SEND_EMAIL", (string?)typeSwitch["scope"]);
        Assert.True((bool?)seen["killSwitches"]!["all"]!["engaged"]);
        Assert.Equal("audit", (string?)seen["killSwitches"]!["all"]!["reason"]);
        Assert.Contains(seen["killSwitches"]!["actionTypes"]!.AsArray(), k => (string?)k!["scope"] == "SEND_EMAIL" && (bool?)k["engaged"] == true);
    }

    [Fact]
    public async Task OptInWithoutAnOwnerIs409NamingTheRequirement()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Admin(tenant)).PutJson($"/v1/tenants/{tenant}/accounts/acc-9/opt-in", """{"autonomousSchedules":true}""");

        var problem = await response.Expect(HttpStatusCode.Conflict);
        Assert.False(string.IsNullOrEmpty((string?)problem["code"]));
        Assert.Contains("owner", (string?)problem["detail"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AccountUpsertEchoesPostureAsAnObject()
    {
        var tenant = Tokens.FreshTenant();

        var account = await (await factory.Client(Tokens.Ingest(tenant)).PutJson(
            $"/v1/tenants/{tenant}/accounts/acc-1",
            """{"ownerId":"seller-1","lifecycle":"CUSTOMER","posture":{"intent":0.4},"renewalDate":"2026-09-30"}""")).Expect(HttpStatusCode.OK);
        var read = await (await factory.Client(Tokens.Seller(tenant, "seller-1")).GetAsync($"/v1/tenants/{tenant}/accounts/acc-1")).Expect(HttpStatusCode.OK);
        var notMine = await factory.Client(Tokens.Seller(tenant, "seller-2")).GetAsync($"/v1/tenants/{tenant}/accounts/acc-1");

        Assert.Equal(0.4, (double?)account["posture"]?["intent"]);
        Assert.Equal("2026-09-30", (string?)read["renewalDate"]);
        Assert.Equal("seller-1", (string?)read["ownerId"]);
        Assert.True(read.AsObject().ContainsKey("heat"));
        Assert.False(string.IsNullOrEmpty((string?)read["tier"]));
        await notMine.Expect(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task DigestSettingsRoundTripWithTimesAsHoursAndMinutes()
    {
        var tenant = Tokens.FreshTenant();
        var seller = factory.Client(Tokens.Seller(tenant, "seller-1"));

        var saved = await (await seller.PutJson(
            $"/v1/tenants/{tenant}/sellers/seller-1/digest-settings",
            """{"enabled":true,"deliverAt":"07:30","timeZone":"Europe/Berlin","webhookUrl":null}""")).Expect(HttpStatusCode.OK);
        var digest = await (await seller.GetAsync($"/v1/tenants/{tenant}/sellers/seller-1/digest?date=2026-01-31")).Expect(HttpStatusCode.OK);

        // The gateway runs on the system clock here: "today" is the UTC date around the request (a run may cross midnight).
        var before = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime);
        var today = await (await seller.GetAsync($"/v1/tenants/{tenant}/sellers/seller-1/digest")).Expect(HttpStatusCode.OK);
        var after = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime);
        Assert.Contains(DateOnly.Parse((string)today["date"]!, System.Globalization.CultureInfo.InvariantCulture), new[] { before, after });
        Assert.Equal("07:30", (string?)saved["deliverAt"]);
        Assert.Equal("2026-01-31", (string?)digest["date"]);
        Assert.True((bool?)digest["settings"]!["enabled"]);
        Assert.NotNull(digest["done"]?.AsArray());
        Assert.NotNull(digest["skipped"]?.AsArray());
        Assert.NotNull(digest["waiting"]?.AsArray());
    }
}

using System.Net;
using System.Text;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>Every rejected request is a 400 problem naming the JSON field, and changes nothing.</summary>
public abstract class ValidationTestsBase(GatewayFactory factory)
{
    [Fact]
    public async Task UnknownFieldIs400NamingItAndTheModeStaysUnchanged()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":"AUTO_EXECUTE","yolo":true}""");

        await response.ExpectValidationProblem("yolo");
        await AssertNoModes(admin, tenant);
    }

    [Fact]
    public async Task BadEnumIs400ListingTheAllowedSpellings()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":"YOLO"}""");

        var problem = await response.ExpectValidationProblem("mode");
        Assert.Contains("AUTO_EXECUTE", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Contains("PROPOSE_ONLY", (string?)problem["detail"], StringComparison.Ordinal);
        await AssertNoModes(admin, tenant);
    }

    [Fact]
    public async Task EnumAsANumberIs400()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":2}""");

        await response.ExpectValidationProblem("mode");
        await AssertNoModes(admin, tenant);
    }

    [Fact]
    public async Task MissingFieldIs400NamingIt()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", "{}");

        await response.ExpectValidationProblem("mode");
        await AssertNoModes(admin, tenant);
    }

    [Fact]
    public async Task MissingBodyIs400()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutAsync($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", new StringContent("", Encoding.UTF8, "application/json"));

        await response.ExpectValidationProblem("body");
        await AssertNoModes(admin, tenant);
    }

    [Fact]
    public async Task BadActionTypeInThePathIs400()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/create-task", """{"mode":"AUTO_EXECUTE"}""");

        await response.ExpectValidationProblem("actionType");
        await AssertNoModes(admin, tenant);
    }

    [Fact]
    public async Task WrongTypeInANestedFieldIs400NamingThePath()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/autonomy/budget", """{"maxPerAccountPerDay":5,"decay":{"halfLifeDays":"seven","floor":1}}""");

        await response.ExpectValidationProblem("decay.halfLifeDays");
        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Null(autonomy["budget"]?["decay"]);
    }

    [Fact]
    public async Task MissingNestedFieldIs400NamingIt()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/autonomy/budget", """{"maxPerAccountPerDay":5,"decay":{"floor":1}}""");

        await response.ExpectValidationProblem("decay.halfLifeDays");
    }

    [Fact]
    public async Task NegativeBudgetIs400NamingTheField()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/autonomy/budget", """{"maxPerAccountPerDay":-1}""");

        await response.ExpectValidationProblem("maxPerAccountPerDay");
        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.NotEqual(-1, (int?)autonomy["budget"]?["maxPerAccountPerDay"]);
    }

    [Fact]
    public async Task ABudgetLimitingMoreActionTypesThanItsBoundIs400AndNothingIsStored()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        var limits = string.Join(",", Enumerable.Range(0, Autonomy.Tenants.TenantGrain.MaxBudgetActionTypes + 1).Select(i => $"\"TYPE_{i}\":1"));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/autonomy/budget", """{"maxPerAccountPerDay":3,"maxPerActionTypePerDay":{""" + limits + "}}");

        await response.ExpectValidationProblem("maxPerActionTypePerDay");
        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.NotEqual(3, (int?)autonomy["budget"]?["maxPerAccountPerDay"]);
    }

    [Fact]
    public async Task APlaybookWithMoreTriggerTypesThanTheTenantsBoundIs400AndNothingIsStored()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        var triggers = string.Join(",", Enumerable.Range(0, Autonomy.Tenants.TenantGrain.MaxTenantTriggerTypes + 1)
            .Select(i => $$"""{"type":"TYPE_{{i}}","debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}"""));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/playbook", $$"""{"rules":[],"triggers":[{{triggers}}]}""");

        await response.ExpectValidationProblem("triggers");
        var registered = await (await admin.GetAsync($"/v1/tenants/{tenant}/triggers?limit=500")).Expect(HttpStatusCode.OK);
        Assert.DoesNotContain(registered["items"]!.AsArray(), t => ((string?)t!["type"])!.StartsWith("TYPE_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OversizedSignalBatchIs400AndNoSignalIsAccepted()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));
        var batch = string.Join(",", Enumerable.Range(0, 1001).Select(i => $$"""{"id":"s-{{i}}","type":"WEBSITE_VISIT"}"""));

        var response = await ingest.PostJson($"/v1/tenants/{tenant}/accounts/acc-1/signals", $$"""{"signals":[{{batch}}]}""");

        await response.ExpectValidationProblem("signals");
        await AssertSignalNotSeen(ingest, tenant, "acc-1", "s-0");
    }

    [Fact]
    public async Task BadSignalIdIs400NamingItsIndexAndNoSignalIsAccepted()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));

        var response = await ingest.PostJson(
            $"/v1/tenants/{tenant}/accounts/acc-1/signals",
            """{"signals":[{"id":"ok-1","type":"WEBSITE_VISIT"},{"id":"not ok/1","type":"WEBSITE_VISIT"}]}""");

        await response.ExpectValidationProblem("signals[1].id");
        await AssertSignalNotSeen(ingest, tenant, "acc-1", "ok-1");
    }

    [Fact]
    public async Task UnknownSignalFieldIs400NamingThePath()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));

        var response = await ingest.PostJson($"/v1/tenants/{tenant}/accounts/acc-1/signals", """{"signals":[{"id":"s-1","tipe":"WEBSITE_VISIT"}]}""");

        await response.ExpectValidationProblem("signals[0].tipe");
        await AssertSignalNotSeen(ingest, tenant, "acc-1", "s-1");
    }

    [Fact]
    public async Task SignalValueOutOfRangeIs400()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));

        var response = await ingest.PostJson($"/v1/tenants/{tenant}/accounts/acc-1/signals", """{"signals":[{"id":"s-1","type":"WEBSITE_VISIT","value":7}]}""");

        await response.ExpectValidationProblem("signals[0].value");
        await AssertSignalNotSeen(ingest, tenant, "acc-1", "s-1");
    }

    [Fact]
    public async Task NullSignalIs400NamingItsIndex()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));

        var response = await ingest.PostJson($"/v1/tenants/{tenant}/accounts/acc-1/signals", """{"signals":[{"id":"s-1","type":"WEBSITE_VISIT"},null]}""");

        await response.ExpectValidationProblem("signals[1]");
        await AssertSignalNotSeen(ingest, tenant, "acc-1", "s-1");
    }

    [Fact]
    public async Task BadAccountIdInThePathIs400()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Ingest(tenant)).PostJson(
            $"/v1/tenants/{tenant}/accounts/bad%20id/signals", """{"signals":[{"id":"s-1","type":"WEBSITE_VISIT"}]}""");

        await response.ExpectValidationProblem("accountId");
    }

    [Fact]
    public async Task BadLedgerFiltersAre400NamingEach()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Auditor(tenant)).GetAsync($"/v1/tenants/{tenant}/ledger?from=yesterday&limit=0&type=config-changed");

        var problem = await response.ExpectValidationProblem("from");
        Assert.NotNull(problem["errors"]?["limit"]);
        Assert.NotNull(problem["errors"]?["type"]);
    }

    [Fact]
    public async Task BadDigestDateIs400()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Admin(tenant)).GetAsync($"/v1/tenants/{tenant}/sellers/seller-1/digest?date=31.01.2026");

        await response.ExpectValidationProblem("date");
    }

    [Fact]
    public async Task NonHttpWebhookIs400()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson($"/v1/tenants/{tenant}/executor", """{"webhookUrl":"ftp://example.com/hook"}""");

        await response.ExpectValidationProblem("webhookUrl");
        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Null((string?)autonomy["executor"]?["webhookUrl"]);
    }

    [Fact]
    public async Task PlaybookErrorsNameTheRuleAndProposal()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var response = await admin.PutJson(
            $"/v1/tenants/{tenant}/playbook",
            """{"rules":[{"when":{"signalType":"RENEWAL_WINDOW_OPENED"},"propose":[{"actionType":"CREATE_TASK","parameters":{},"confidence":1.5}]}]}""");

        await response.ExpectValidationProblem("rules[0].propose[0].confidence");
        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Equal(0, (int?)autonomy["playbookRules"]);
    }

    [Fact]
    public async Task OutcomeTheSystemRecordsItselfIs400()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Ingest(tenant)).PostJson($"/v1/tenants/{tenant}/actions/a.YWNjLTE.x/outcome", """{"outcome":"IDEA_REJECTED"}""");

        await response.ExpectValidationProblem("outcome");
    }

    [Fact]
    public async Task MalformedProposalIdIs404()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Admin(tenant)).PostJson($"/v1/tenants/{tenant}/proposals/nonsense/approve", """{"argsDigest":"sha256:00"}""");

        var problem = await response.Expect(HttpStatusCode.NotFound);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("nonsense", (string?)problem["detail"], StringComparison.Ordinal);
    }

    /// <summary>The tenant's configuration was never changed: version 0, CREATE_TASK still at the default mode.</summary>
    private static async Task AssertNoModes(HttpClient admin, string tenant)
    {
        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Equal(0, (long?)autonomy["configVersion"]);
        var task = autonomy["modes"]!.AsArray().SingleOrDefault(m => (string?)m!["actionType"] == "CREATE_TASK");
        Assert.Equal("APPROVAL_REQUIRED", (string?)task?["mode"] ?? "APPROVAL_REQUIRED");
    }

    /// <summary>Signal ids are idempotent: a signal the rejected request did not ingest is accepted now, not a duplicate.</summary>
    private static async Task AssertSignalNotSeen(HttpClient ingest, string tenant, string account, string signalId)
    {
        var result = await (await ingest.PostJson(
            $"/v1/tenants/{tenant}/accounts/{account}/signals",
            $$"""{"signals":[{"id":"{{signalId}}","type":"WEBSITE_VISIT"}]}"""))
            .Expect(HttpStatusCode.Accepted);
        Assert.Equal(1, (int?)result["accepted"]);
        Assert.Equal(0, (int?)result["duplicates"]);
    }
}

[Collection(GatewayCollection.Name)]
public sealed class ValidationTests(GatewayFactory factory) : ValidationTestsBase(factory);

[Collection(ClusterGatewayCollection.Name)]
public sealed class ValidationTestsInClusterMode(ClusterGatewayFactory factory) : ValidationTestsBase(factory);

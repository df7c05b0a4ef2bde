using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>The walk of API.md, end to end through the co-hosted silo.</summary>
public abstract partial class ContractTestsBase(GatewayFactory factory)
{
    private const string Playbook = """
        {"rules":[{"when":{"signalType":"RENEWAL_WINDOW_OPENED"},
                   "propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Prepare renewal"},"confidence":0.9},
                              {"actionType":"SEND_EMAIL","parameters":{"template":"renewal-checkin"},"confidence":0.7}]}]}
        """;

    private static readonly string[] ProposalFields =
        ["proposalId", "runId", "accountId", "sellerId", "actionType", "parameters", "argsDigest", "confidence", "decision", "reason", "explanation", "policyVersion", "createdAt", "expiresAt"];

    private static readonly string[] TimelineFields =
        ["actionId", "runId", "accountId", "actionType", "parameters", "autonomous", "status", "executedAt", "reason", "explanation", "policyVersion"];

    private static readonly string[] LedgerFields = ["entryId", "tenantId", "streamId", "seq", "runId", "type", "at", "actor", "payload", "prevHash", "hash"];

    [Fact]
    public async Task AutonomousActionLandsOnTheTimelineAndTheExternalOneWaitsForApproval()
    {
        var walk = await WalkAsync();

        Assert.All(TimelineFields, f => Assert.True(walk.Executed.AsObject().ContainsKey(f), $"timeline item lacks {f}: {walk.Executed}"));
        Assert.True((bool?)walk.Executed["autonomous"]);
        Assert.Equal("SUCCEEDED", (string?)walk.Executed["status"]);
        Assert.Equal("ALLOWED_BY_POLICY", (string?)walk.Executed["reason"]);
        Assert.Equal("Prepare renewal", (string?)walk.Executed["parameters"]?["title"]);

        Assert.All(ProposalFields, f => Assert.True(walk.Waiting.AsObject().ContainsKey(f), $"proposal lacks {f}: {walk.Waiting}"));
        Assert.Equal("REQUIRE_APPROVAL", (string?)walk.Waiting["decision"]);
        Assert.Equal("EXTERNAL_CONTACT", (string?)walk.Waiting["reason"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)walk.Waiting["explanation"]));
        Assert.Equal("renewal-checkin", (string?)walk.Waiting["parameters"]?["template"]);
        Assert.IsType<JsonObject>(walk.Waiting["parameters"]);
    }

    [Fact]
    public async Task ApprovingAStaleDigestIs409AndTheRightDigestExecutesOnce()
    {
        var walk = await WalkAsync();
        var seller = factory.Client(Tokens.Seller(walk.Tenant, "seller-1"));
        var proposalId = (string)walk.Waiting["proposalId"]!;

        var stale = await seller.PostJson($"/v1/tenants/{walk.Tenant}/proposals/{proposalId}/approve", """{"argsDigest":"sha256:0000"}""");
        var problem = await stale.Expect(HttpStatusCode.Conflict);
        Assert.Equal("application/problem+json", stale.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ARGS_DIGEST_MISMATCH", (string?)problem["code"]);

        var approved = await seller.PostJson($"/v1/tenants/{walk.Tenant}/proposals/{proposalId}/approve", $$"""{"argsDigest":"{{walk.Waiting["argsDigest"]}}"}""");
        var action = await approved.Expect(HttpStatusCode.OK);
        Assert.False((bool?)action["autonomous"]);
        Assert.Equal("SEND_EMAIL", (string?)action["actionType"]);
        var queue = await (await seller.GetAsync($"/v1/tenants/{walk.Tenant}/sellers/seller-1/needs-input")).Expect(HttpStatusCode.OK);
        Assert.DoesNotContain(queue["items"]!.AsArray(), p => (string?)p!["proposalId"] == proposalId);
    }

    [Fact]
    public async Task AnotherSellerMayNotApprove()
    {
        var walk = await WalkAsync();
        var intruder = factory.Client(Tokens.Seller(walk.Tenant, "seller-2"));

        var response = await intruder.PostJson(
            $"/v1/tenants/{walk.Tenant}/proposals/{walk.Waiting["proposalId"]}/approve", $$"""{"argsDigest":"{{walk.Waiting["argsDigest"]}}"}""");

        await response.Expect(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task EditingExecutesTheEditedPayloadWithOutcomeIdeaEdited()
    {
        var walk = await WalkAsync();
        var seller = factory.Client(Tokens.Seller(walk.Tenant, "seller-1"));

        var response = await seller.PostJson(
            $"/v1/tenants/{walk.Tenant}/proposals/{walk.Waiting["proposalId"]}/edit",
            $$$"""{"argsDigest":"{{{walk.Waiting["argsDigest"]}}}","parameters":{"template":"renewal-personal","cc":["manager"]}}""");

        var action = await response.Expect(HttpStatusCode.OK);
        Assert.Equal("IDEA_EDITED", (string?)action["outcome"]);
        Assert.Equal("renewal-personal", (string?)action["parameters"]?["template"]);
        Assert.Equal("manager", (string?)action["parameters"]?["cc"]?[0]);
    }

    [Fact]
    public async Task WhileAKillSwitchCoversTheTypeApprovingAndEditingAre409AndNothingIsSent()
    {
        var walk = await WalkAsync();
        var admin = factory.Client(Tokens.Admin(walk.Tenant));
        var seller = factory.Client(Tokens.Seller(walk.Tenant, "seller-1"));
        var path = $"/v1/tenants/{walk.Tenant}/proposals/{walk.Waiting["proposalId"]}";
        var digest = $$"""{"argsDigest":"{{walk.Waiting["argsDigest"]}}"}""";
        await (await admin.PutJson($"/v1/tenants/{walk.Tenant}/kill-switches/SEND_EMAIL", """{"engaged":true,"reason":"incident"}""")).Expect(HttpStatusCode.OK);

        var approve = await (await seller.PostJson($"{path}/approve", digest)).Expect(HttpStatusCode.Conflict);
        var edit = await (await seller.PostJson(
            $"{path}/edit", $$$"""{"argsDigest":"{{{walk.Waiting["argsDigest"]}}}","parameters":{"template":"renewal-personal"}}""")).Expect(HttpStatusCode.Conflict);

        Assert.Equal(("KILL_SWITCH_ENGAGED", "KILL_SWITCH_ENGAGED"), ((string?)approve["code"], (string?)edit["code"]));
        var timeline = await (await seller.GetAsync($"/v1/tenants/{walk.Tenant}/sellers/seller-1/timeline")).Expect(HttpStatusCode.OK);
        Assert.DoesNotContain(timeline["items"]!.AsArray(), i => (string?)i!["actionType"] == "SEND_EMAIL");
        var queue = await (await seller.GetAsync($"/v1/tenants/{walk.Tenant}/sellers/seller-1/needs-input")).Expect(HttpStatusCode.OK);
        Assert.Contains(queue["items"]!.AsArray(), p => (string?)p!["proposalId"] == (string?)walk.Waiting["proposalId"]);

        await (await admin.PutJson($"/v1/tenants/{walk.Tenant}/kill-switches/SEND_EMAIL", """{"engaged":false}""")).Expect(HttpStatusCode.OK);
        var action = await (await seller.PostJson($"{path}/approve", digest)).Expect(HttpStatusCode.OK);
        Assert.Equal("SEND_EMAIL", (string?)action["actionType"]);
    }

    [Fact]
    public async Task RejectingResolvesTheProposalOnce()
    {
        var walk = await WalkAsync();
        var seller = factory.Client(Tokens.Seller(walk.Tenant, "seller-1"));
        var path = $"/v1/tenants/{walk.Tenant}/proposals/{walk.Waiting["proposalId"]}/reject";

        var rejected = await (await seller.PostJson(path, """{"reason":"customer asked for a call instead"}""")).Expect(HttpStatusCode.OK);
        var again = await (await seller.PostJson(path, "{}")).Expect(HttpStatusCode.Conflict);

        Assert.Equal((string?)walk.Waiting["proposalId"], (string?)rejected["proposalId"]);
        Assert.Equal("PROPOSAL_RESOLVED", (string?)again["code"]);
        var queue = await (await seller.GetAsync($"/v1/tenants/{walk.Tenant}/sellers/seller-1/needs-input")).Expect(HttpStatusCode.OK);
        Assert.Empty(queue["items"]!.AsArray());
    }

    [Fact]
    public async Task RevertingAnAutonomousActionShowsItRevertedOnTheTimeline()
    {
        var walk = await WalkAsync();
        var seller = factory.Client(Tokens.Seller(walk.Tenant, "seller-1"));
        var actionId = (string)walk.Executed["actionId"]!;

        var reverted = await (await seller.PostAsync($"/v1/tenants/{walk.Tenant}/actions/{actionId}/revert", null)).Expect(HttpStatusCode.OK);

        Assert.Equal("REVERTED", (string?)reverted["status"]);
        var timeline = await (await seller.GetAsync($"/v1/tenants/{walk.Tenant}/sellers/seller-1/timeline")).Expect(HttpStatusCode.OK);
        Assert.Contains(timeline["items"]!.AsArray(), i => (string?)i!["actionId"] == actionId && (string?)i["status"] == "REVERTED");
    }

    [Fact]
    public async Task UpstreamReportsAnOutcomeOfAnExecutedAction()
    {
        var walk = await WalkAsync();
        var ingest = factory.Client(Tokens.Ingest(walk.Tenant));

        var action = await (await ingest.PostJson(
            $"/v1/tenants/{walk.Tenant}/actions/{walk.Executed["actionId"]}/outcome", """{"outcome":"NO_RESPONSE"}""")).Expect(HttpStatusCode.OK);

        Assert.Equal("NO_RESPONSE", (string?)action["outcome"]);
    }

    [Fact]
    public async Task UnknownActionOfAValidAccountIs404()
    {
        var tenant = Tokens.FreshTenant();
        var actionId = Autonomy.Common.Ids.Action("acc-1", "nothing");

        var response = await factory.Client(Tokens.Admin(tenant)).PostAsync($"/v1/tenants/{tenant}/actions/{actionId}/revert", null);

        await response.Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task LedgerListsExplainsExportsAndVerifiesTheRun()
    {
        var walk = await WalkAsync();
        var auditor = factory.Client(Tokens.Auditor(walk.Tenant));
        var runId = (string)walk.Executed["runId"]!;

        var list = await (await auditor.GetAsync($"/v1/tenants/{walk.Tenant}/ledger?runId={runId}&limit=2")).Expect(HttpStatusCode.OK);
        var items = list["items"]!.AsArray();
        Assert.Equal(2, items.Count);
        Assert.All(LedgerFields, f => Assert.True(items[0]!.AsObject().ContainsKey(f), $"ledger entry lacks {f}: {items[0]}"));
        Assert.IsType<JsonObject>(items[0]!["payload"]);
        Assert.Equal(runId, (string?)items[0]!["runId"]);
        Assert.NotNull((string?)list["nextCursor"]);
        var next = await (await auditor.GetAsync($"/v1/tenants/{walk.Tenant}/ledger?runId={runId}&limit=2&cursor={Uri.EscapeDataString((string)list["nextCursor"]!)}")).Expect(HttpStatusCode.OK);
        Assert.NotEqual((string?)items[0]!["entryId"], (string?)next["items"]![0]!["entryId"]);

        var explanation = await (await auditor.GetAsync($"/v1/tenants/{walk.Tenant}/ledger/runs/{runId}/explanation")).Expect(HttpStatusCode.OK);
        Assert.NotEmpty(explanation["why"]!.AsArray());
        Assert.Contains(explanation["knew"]!.AsArray(), k => (string?)k!["type"] == "TRIGGER_FIRED");
        Assert.Contains(explanation["policy"]!.AsArray(), p => (string?)p!["type"] == "POLICY_EVALUATED");

        var export = await auditor.GetAsync($"/v1/tenants/{walk.Tenant}/ledger/export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("application/x-ndjson", export.Content.Headers.ContentType?.MediaType);
        // Entry lines; checkpoint lines ("kind") follow them once the tenant's checkpoint writer has written one.
        var lines = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => JsonNode.Parse(line)!["kind"] is null).ToArray();
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.False(string.IsNullOrEmpty((string?)JsonNode.Parse(line)!["hash"])));

        var verify = await (await auditor.GetAsync($"/v1/tenants/{walk.Tenant}/ledger/verify")).Expect(HttpStatusCode.OK);
        Assert.True((bool?)verify["ok"]);
        Assert.Equal(lines.Length, (long?)verify["entries"]);
    }

    [Fact]
    public async Task AnAccountNothingWasSentForIs404()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Admin(tenant)).GetAsync($"/v1/tenants/{tenant}/accounts/never-seen");

        await response.Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ExplainingAnUnknownRunIs404()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Auditor(tenant)).GetAsync($"/v1/tenants/{tenant}/ledger/runs/run_nothing/explanation");

        await response.Expect(HttpStatusCode.NotFound);
    }

    /// <summary>
    /// Admin makes CREATE_TASK and SEND_EMAIL autonomous and loads the playbook; upstream creates the account and
    /// sends RENEWAL_WINDOW_OPENED; the run (after the debounce timer) executes CREATE_TASK alone and routes
    /// SEND_EMAIL (external contact) to the seller.
    /// </summary>
    private async Task<Walk> WalkAsync()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        var ingest = factory.Client(Tokens.Ingest(tenant));
        var seller = factory.Client(Tokens.Seller(tenant, "seller-1"));
        await (await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/SEND_EMAIL", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/playbook", Playbook)).Expect(HttpStatusCode.OK);
        await (await ingest.PutJson($"/v1/tenants/{tenant}/accounts/acc-1", """{"ownerId":"seller-1","lifecycle":"CUSTOMER","posture":{"intent":0.5}}""")).Expect(HttpStatusCode.OK);

        var accepted = await (await ingest.PostJson(
            $"/v1/tenants/{tenant}/accounts/acc-1/signals",
            """{"signals":[{"id":"s-1","type":"RENEWAL_WINDOW_OPENED","occurredAt":"2026-01-31T08:00:00Z","value":0.9,"attributes":{"source":"crm"}}]}"""))
            .Expect(HttpStatusCode.Accepted);
        Assert.Equal(1, (int?)accepted["accepted"]);

        var executed = await Eventually.FoundAsync(
            async () => (await (await seller.GetAsync($"/v1/tenants/{tenant}/sellers/seller-1/timeline")).Expect(HttpStatusCode.OK))["items"]!
                .AsArray().FirstOrDefault(i => (string?)i!["actionType"] == "CREATE_TASK"),
            TimeSpan.FromSeconds(10),
            "CREATE_TASK on the timeline");
        var waiting = await Eventually.FoundAsync(
            async () => (await (await seller.GetAsync($"/v1/tenants/{tenant}/sellers/seller-1/needs-input")).Expect(HttpStatusCode.OK))["items"]!
                .AsArray().FirstOrDefault(i => (string?)i!["actionType"] == "SEND_EMAIL"),
            TimeSpan.FromSeconds(10),
            "SEND_EMAIL in needs-input");
        return new Walk(tenant, executed, waiting);
    }

    private sealed record Walk(string Tenant, JsonNode Executed, JsonNode Waiting);
}

[Collection(GatewayCollection.Name)]
public sealed class ContractTests(GatewayFactory factory) : ContractTestsBase(factory);

[Collection(ClusterGatewayCollection.Name)]
public sealed class ContractTestsInClusterMode(ClusterGatewayFactory factory) : ContractTestsBase(factory);

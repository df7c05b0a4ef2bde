using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// POST .../policy/replay over real runs: two accounts each get a run that executes CREATE_TASK alone, waits on a
/// low-confidence CREATE_TASK and on SEND_EMAIL (external contact). Replaying under a candidate answers from the
/// ledger what would change, and changes nothing.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PolicyReplayApiTests(GatewayFactory factory)
{
    private const string Playbook = """
        {"rules":[{"when":{"signalType":"RENEWAL_WINDOW_OPENED"},
                   "propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Prepare renewal"},"confidence":0.9},
                              {"actionType":"CREATE_TASK","parameters":{"title":"Maybe call"},"confidence":0.3},
                              {"actionType":"SEND_EMAIL","parameters":{"template":"renewal-checkin"},"confidence":0.7}]}]}
        """;

    private const int DecisionsPerRun = 3;

    private static readonly string[] Accounts = ["acc-1", "acc-2"];

    [Fact]
    public async Task SwitchingATypeToApprovalRequiredChangesExactlyTheAutonomousDecisionsOfThatType()
    {
        var (tenant, admin, from, to) = await RunsAsync();
        var autonomous = await AutonomousCreateTasksAsync(tenant);
        Assert.Equal(Accounts.Length, autonomous.Count);

        var replay = await (await admin.PostJson($"/v1/tenants/{tenant}/policy/replay", Body("""{"modes":{"CREATE_TASK":{"mode":"APPROVAL_REQUIRED"}}}""", from, to)))
            .Expect(HttpStatusCode.OK);

        var changes = replay["changes"]!.AsArray().Select(c => c!).ToList();
        var decisionChanges = changes.Where(c => (bool)c["decisionChanged"]!).ToList();
        Assert.Equal(Accounts.Length * DecisionsPerRun, (int)replay["evaluated"]!);
        Assert.Equal(Accounts.Length, (int)replay["decisionsChanged"]!);
        Assert.Equal(
            autonomous.Order(StringComparer.Ordinal),
            decisionChanges.Select(c => $"{c["runId"]}/{c["accountId"]}/{c["index"]}").Order(StringComparer.Ordinal));
        Assert.All(decisionChanges, c =>
        {
            Assert.Equal("CREATE_TASK", (string?)c["actionType"]);
            Assert.Equal(("AUTO_EXECUTE", "ALLOWED_BY_POLICY"), ((string?)c["before"]!["decision"], (string?)c["before"]!["reason"]));
            Assert.Equal(("REQUIRE_APPROVAL", "MODE_APPROVAL_REQUIRED"), ((string?)c["after"]!["decision"], (string?)c["after"]!["reason"]));
            Assert.Contains("requires approval", (string?)c["after"]!["explanation"], StringComparison.Ordinal);
            Assert.False((bool)c["budgetDependent"]!);
        });

        // The low-confidence CREATE_TASK still waits for a human, now for another reason; SEND_EMAIL is untouched.
        var reasonOnly = changes.Where(c => !(bool)c["decisionChanged"]!).ToList();
        Assert.Equal(Accounts.Length, reasonOnly.Count);
        Assert.All(reasonOnly, c => Assert.Equal(("CREATE_TASK", "LOW_CONFIDENCE", "MODE_APPROVAL_REQUIRED"),
            ((string?)c["actionType"], (string?)c["before"]!["reason"], (string?)c["after"]!["reason"])));
        Assert.Equal(changes.Count, (int)replay["changed"]!);
        Assert.Equal(Accounts.Length * DecisionsPerRun - changes.Count, (int)replay["unchanged"]!);
        Assert.DoesNotContain(changes, c => (string?)c["actionType"] == "SEND_EMAIL");
        Assert.Equal("NOT_SIMULATED", (string?)replay["budget"]);
        Assert.False((bool)replay["truncated"]!);
    }

    [Fact]
    public async Task TheUnchangedConfigurationChangesNothingAndAReplayStoresNothing()
    {
        var (tenant, admin, from, to) = await RunsAsync();
        var autonomyBefore = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        var ledgerBefore = await LedgerCountAsync(admin, tenant);

        var unchanged = await (await admin.PostJson($"/v1/tenants/{tenant}/policy/replay", Body("{}", from, to))).Expect(HttpStatusCode.OK);
        await (await admin.PostJson($"/v1/tenants/{tenant}/policy/replay", Body(
            """{"modes":{"CREATE_TASK":{"mode":"DISABLED"}},"policy":{"minConfidence":0.1,"autoExecuteLifecycles":[],"blockedLifecycles":["CUSTOMER"]}}""", from, to)))
            .Expect(HttpStatusCode.OK);

        Assert.Equal(Accounts.Length * DecisionsPerRun, (int)unchanged["evaluated"]!);
        Assert.Equal(0, (int)unchanged["changed"]!);
        Assert.Empty(unchanged["changes"]!.AsArray());
        var autonomyAfter = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Equal((long)autonomyBefore["configVersion"]!, (long)autonomyAfter["configVersion"]!);
        Assert.Contains(autonomyAfter["modes"]!.AsArray(), m => (string?)m!["actionType"] == "CREATE_TASK" && (string?)m["mode"] == "AUTO_EXECUTE");
        Assert.Equal(ledgerBefore, await LedgerCountAsync(admin, tenant));
    }

    [Fact]
    public async Task ALowerMinimumConfidenceMakesTheWaitingTaskAutonomousAndSaysItDependsOnTheBudget()
    {
        var (tenant, admin, from, to) = await RunsAsync();

        var replay = await (await admin.PostJson($"/v1/tenants/{tenant}/policy/replay", Body(
            """{"policy":{"minConfidence":0.2,"autoExecuteLifecycles":["CUSTOMER"],"blockedLifecycles":["DO_NOT_CONTACT"]}}""", from, to)))
            .Expect(HttpStatusCode.OK);

        var changes = replay["changes"]!.AsArray().Select(c => c!).ToList();
        Assert.Equal(Accounts.Length, changes.Count);
        Assert.All(changes, c =>
        {
            Assert.Equal(("CREATE_TASK", "LOW_CONFIDENCE"), ((string?)c["actionType"], (string?)c["before"]!["reason"]));
            Assert.Equal(("REQUIRE_APPROVAL", "AUTO_EXECUTE"), ((string?)c["before"]!["decision"], (string?)c["after"]!["decision"]));
            Assert.True((bool)c["budgetDependent"]!);
        });
        Assert.Equal(Accounts.Length, (int)replay["budgetDependent"]!);
    }

    [Fact]
    public async Task ACatalogChangeIsReplayedAsThePutWouldStoreIt()
    {
        var (tenant, admin, from, to) = await RunsAsync();

        // Medium risk withdraws CREATE_TASK's autonomy; calling SEND_EMAIL low risk and internal cannot loosen a built-in.
        var replay = await (await admin.PostJson($"/v1/tenants/{tenant}/policy/replay", Body(
            """
            {"catalog":{"CREATE_TASK":{"riskLevel":"MEDIUM","externalContact":false,"allowListed":true,"revertible":true},
                        "SEND_EMAIL":{"riskLevel":"LOW","externalContact":false,"allowListed":true,"revertible":true}}}
            """, from, to)))
            .Expect(HttpStatusCode.OK);

        var changes = replay["changes"]!.AsArray().Select(c => c!).ToList();
        Assert.Equal(Accounts.Length * 2, changes.Count);
        Assert.All(changes, c => Assert.Equal(("CREATE_TASK", "RISK_LEVEL_MEDIUM"), ((string?)c["actionType"], (string?)c["after"]!["reason"])));
    }

    [Fact]
    public async Task ALongRangeIsReadInBoundedPartsWithACursor()
    {
        var (tenant, admin, from, to) = await RunsAsync();

        var first = await (await admin.PostJson($"/v1/tenants/{tenant}/policy/replay", Body("{}", from, to, limit: 4))).Expect(HttpStatusCode.OK);
        Assert.True((bool)first["truncated"]!);
        Assert.Equal(4, (int)first["evaluated"]!);
        var cursor = (string?)first["nextCursor"];
        Assert.False(string.IsNullOrEmpty(cursor));

        var rest = await (await admin.PostJson($"/v1/tenants/{tenant}/policy/replay", Body("{}", from, to, limit: 4, cursor: cursor))).Expect(HttpStatusCode.OK);
        Assert.False((bool)rest["truncated"]!);
        Assert.Null(rest["nextCursor"]);
        Assert.Equal(Accounts.Length * DecisionsPerRun - 4, (int)rest["evaluated"]!);

        // A range before the runs holds nothing.
        var before = await (await admin.PostJson($"/v1/tenants/{tenant}/policy/replay", Body("{}", from.AddDays(-2), from.AddDays(-1)))).Expect(HttpStatusCode.OK);
        Assert.Equal(0, (int)before["evaluated"]!);
    }

    public static TheoryData<string, string> BadRequests() => new()
    {
        { """{"candidate":{},"to":"2026-03-02T00:00:00Z"}""", "from" },
        { """{"candidate":{},"from":"2026-03-01T00:00:00Z"}""", "to" },
        { """{"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}""", "candidate" },
        { """{"candidate":{},"from":"yesterday","to":"2026-03-02T00:00:00Z"}""", "from" },
        { """{"candidate":{},"from":"2026-03-02T00:00:00Z","to":"2026-03-01T00:00:00Z"}""", "to" },
        { """{"candidate":{},"from":"2026-01-01T00:00:00Z","to":"2026-03-01T00:00:00Z"}""", "to" },
        { """{"candidate":{},"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z","limit":0}""", "limit" },
        { """{"candidate":{},"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z","limit":5001}""", "limit" },
        { """{"candidate":{},"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z","cursor":"not-a-cursor!"}""", "cursor" },
        { """{"candidate":{"modes":{"CREATE_TASK":{"mode":null}}},"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}""", "candidate.modes.CREATE_TASK.mode" },
        { """{"candidate":{"modes":{"create-task":{"mode":"AUTO_EXECUTE"}}},"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}""", "candidate.modes.create-task" },
        { """{"candidate":{"policy":{"minConfidence":2,"autoExecuteLifecycles":[],"blockedLifecycles":[]}},"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}""", "candidate.policy.minConfidence" },
        { """{"candidate":{"policy":{"minConfidence":0.5,"autoExecuteLifecycles":[]}},"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}""", "candidate.policy.blockedLifecycles" },
        { """{"candidate":{"catalog":{"MY_TYPE":{"externalContact":false,"allowListed":true,"revertible":true}}},"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}""", "candidate.catalog.MY_TYPE.riskLevel" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task ABadReplayIsA400NamingTheField(string body, string field)
    {
        var tenant = Tokens.FreshTenant();

        await (await factory.Client(Tokens.Admin(tenant)).PostJson($"/v1/tenants/{tenant}/policy/replay", body)).ExpectValidationProblem(field);
    }

    [Fact]
    public async Task ACandidateNamingTooManyTypesIsA400()
    {
        var tenant = Tokens.FreshTenant();
        var modes = new JsonObject();
        for (var i = 0; i < 201; i++)
        {
            modes[$"TYPE_{i}"] = new JsonObject { ["mode"] = "AUTO_EXECUTE" };
        }

        var body = new JsonObject { ["candidate"] = new JsonObject { ["modes"] = modes }, ["from"] = "2026-03-01T00:00:00Z", ["to"] = "2026-03-02T00:00:00Z" };

        await (await factory.Client(Tokens.Admin(tenant)).PostJson($"/v1/tenants/{tenant}/policy/replay", body.ToJsonString())).ExpectValidationProblem("candidate.modes");
    }

    /// <summary>A tenant whose two accounts each had one run, and a range around them.</summary>
    private async Task<(string Tenant, HttpClient Admin, DateTimeOffset From, DateTimeOffset To)> RunsAsync()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        var ingest = factory.Client(Tokens.Ingest(tenant));
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        await (await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/SEND_EMAIL", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/playbook", Playbook)).Expect(HttpStatusCode.OK);
        foreach (var account in Accounts)
        {
            await (await ingest.PutJson($"/v1/tenants/{tenant}/accounts/{account}", """{"ownerId":"seller-1","lifecycle":"CUSTOMER"}""")).Expect(HttpStatusCode.OK);
            await (await ingest.PostJson(
                $"/v1/tenants/{tenant}/accounts/{account}/signals",
                """{"signals":[{"id":"s-1","type":"RENEWAL_WINDOW_OPENED","value":0.9}]}""")).Expect(HttpStatusCode.Accepted);
        }

        await Eventually.UntilAsync(
            async () => (await PolicyEntriesAsync(admin, tenant)).Count == Accounts.Length * DecisionsPerRun,
            TimeSpan.FromSeconds(15),
            "both runs' policy decisions in the ledger");
        return (tenant, admin, from, DateTimeOffset.UtcNow.AddMinutes(1));
    }

    /// <summary>The decisions the ledger says executed CREATE_TASK alone, as runId/accountId/index.</summary>
    private async Task<List<string>> AutonomousCreateTasksAsync(string tenant)
    {
        var admin = factory.Client(Tokens.Admin(tenant));
        return [.. (await PolicyEntriesAsync(admin, tenant))
            .Where(e => (string?)e["payload"]!["actionType"] == "CREATE_TASK" && (string?)e["payload"]!["result"]!["decision"] == "AUTO_EXECUTE")
            .Select(e => $"{e["runId"]}/{((string)e["streamId"]!).Split('/')[^1]}/{e["payload"]!["index"]}")];
    }

    private static async Task<List<JsonNode>> PolicyEntriesAsync(HttpClient admin, string tenant) =>
        [.. (await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?type=POLICY_EVALUATED&limit=500")).Expect(HttpStatusCode.OK))["items"]!.AsArray().Select(e => e!)];

    private static async Task<int> LedgerCountAsync(HttpClient admin, string tenant) =>
        (await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?limit=500")).Expect(HttpStatusCode.OK))["items"]!.AsArray().Count;

    private static string Body(string candidate, DateTimeOffset from, DateTimeOffset to, int? limit = null, string? cursor = null)
    {
        var body = new JsonObject { ["candidate"] = JsonNode.Parse(candidate), ["from"] = from.ToString("O"), ["to"] = to.ToString("O") };
        if (limit is { } l)
        {
            body["limit"] = l;
        }

        if (cursor is not null)
        {
            body["cursor"] = cursor;
        }

        return body.ToJsonString();
    }
}

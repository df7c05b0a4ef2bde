using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>The learning endpoints end to end: sellers answer, the tenant calibrates and promotes, each seller's favourite comes first.</summary>
public abstract class RankingApiTestsBase(GatewayFactory factory)
{
    private const string Playbook = """
        {"rules":[{"when":{"signalType":"TEST_INSTANT"},
                   "propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Call back"},"confidence":0.8},
                              {"actionType":"DRAFT_EMAIL","parameters":{"template":"follow-up"},"confidence":0.8}]}],
         "triggers":[{"type":"TEST_INSTANT","debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}]}
        """;

    private static readonly Dictionary<string, string> Favourite = new() { ["alice"] = "DRAFT_EMAIL", ["bob"] = "CREATE_TASK" };

    /// <summary>Accounts per seller: each runs at most a few times, well under the hourly cap of runs per account.</summary>
    private const int AccountsPerSeller = 8;

    private sealed record Tenant(string Id, HttpClient Admin, HttpClient Ingest, Dictionary<string, HttpClient> Sellers);

    private async Task<Tenant> SetUpAsync()
    {
        var id = Tokens.FreshTenant();
        var t = new Tenant(id, factory.Client(Tokens.For(id, "admin-1", "admin", "auditor")), factory.Client(Tokens.Ingest(id)),
            Favourite.Keys.ToDictionary(s => s, s => factory.Client(Tokens.Seller(id, s))));
        await (await t.Admin.PutJson($"/v1/tenants/{id}/playbook", Playbook)).Expect(HttpStatusCode.OK);

        // Rounds follow each other within seconds: the tenant lets an account run again at once (the production default waits 5 minutes),
        // and every round's signal (no value, so 0.5, below the default 0.7 that would park it) run.
        await (await t.Admin.PutJson($"/v1/tenants/{id}/cost-budget", """{"decisionRunsPerDay":10000,"engineTokensPerDay":2000000,"pullsPerDay":50000,"minRunIntervalSeconds":0,"minMarginalValue":0}""")).Expect(HttpStatusCode.OK);
        foreach (var seller in Favourite.Keys)
        {
            for (var a = 0; a < AccountsPerSeller; a++)
            {
                await (await t.Ingest.PutJson($"/v1/tenants/{id}/accounts/{seller}-{a}", $$"""{"ownerId":"{{seller}}","lifecycle":"CUSTOMER"}""")).Expect(HttpStatusCode.OK);
            }
        }

        return t;
    }

    /// <summary>A signal to every account, then waits until each seller's queue holds both proposals of every account.</summary>
    private static async Task<Dictionary<string, JsonArray>> RoundAsync(Tenant t)
    {
        foreach (var seller in Favourite.Keys)
        {
            for (var a = 0; a < AccountsPerSeller; a++)
            {
                await (await t.Ingest.PostJson($"/v1/tenants/{t.Id}/accounts/{seller}-{a}/signals", $$"""{"signals":[{"id":"{{Guid.NewGuid():N}}","type":"TEST_INSTANT"}]}"""))
                    .Expect(HttpStatusCode.Accepted);
            }
        }

        var queues = new Dictionary<string, JsonArray>();
        foreach (var (seller, client) in t.Sellers)
        {
            queues[seller] = await Eventually.FoundAsync(
                async () => (await (await client.GetAsync($"/v1/tenants/{t.Id}/sellers/{seller}/needs-input?limit=500")).Expect(HttpStatusCode.OK))["items"]!.AsArray() is { Count: 2 * AccountsPerSeller } items ? items : null,
                TimeSpan.FromSeconds(30),
                $"{seller}'s queue to fill");
        }

        return queues;
    }

    /// <summary>Each seller approves its favourite and rejects the other, emptying its queue.</summary>
    private static async Task AnswerAsync(Tenant t, Dictionary<string, JsonArray> queues)
    {
        foreach (var (seller, queue) in queues)
        {
            foreach (var p in queue.Select(p => p!))
            {
                var path = $"/v1/tenants/{t.Id}/proposals/{p["proposalId"]}";
                var response = (string?)p["actionType"] == Favourite[seller]
                    ? await t.Sellers[seller].PostJson($"{path}/approve", $$"""{"argsDigest":"{{p["argsDigest"]}}"}""")
                    : await t.Sellers[seller].PostJson($"{path}/reject", """{"reason":"not for me"}""");
                await response.Expect(HttpStatusCode.OK);
            }
        }
    }

    [Fact]
    public async Task TwoSellersWithOppositePreferencesEachSeeTheirFavouriteFirstAfterTrainingAndPromotion()
    {
        var t = await SetUpAsync();
        for (var round = 0; round < 4; round++)
        {
            var queues = await RoundAsync(t);
            if (round == 0)
            {
                // The prior: equal engine confidence, so the queue is newest first and ignores who asks.
                Assert.All(queues.Values.SelectMany(q => q), p => Assert.Equal("prior", (string?)p!["ranker"]));
                Assert.All(queues.Values.SelectMany(q => q), p => Assert.Null(p!["calibratedConfidence"]));
            }

            await AnswerAsync(t, queues);
        }

        var candidate = await (await t.Admin.PostAsync($"/v1/tenants/{t.Id}/ranking/calibrate", null)).Expect(HttpStatusCode.OK);
        var version = (string)candidate["version"]!;
        Assert.True((bool?)candidate["gate"]!["passed"], candidate.ToJsonString());
        Assert.Equal("CANDIDATE", (string?)candidate["status"]);
        Assert.True((double)candidate["evaluation"]!["candidateMetrics"]!["precisionAt1"]! > (double)candidate["evaluation"]!["activeMetrics"]!["precisionAt1"]!);
        await (await t.Admin.PostAsync($"/v1/tenants/{t.Id}/ranking/models/{version}/promote", null)).Expect(HttpStatusCode.OK);

        var after = await RoundAsync(t);

        foreach (var (seller, queue) in after)
        {
            var top = queue[0]!;
            Assert.Equal(Favourite[seller], (string?)top["actionType"]);
            Assert.Equal(version, (string?)top["ranker"]);
            Assert.All(queue.Take(AccountsPerSeller), p => Assert.Equal(Favourite[seller], (string?)p!["actionType"]));
            Assert.InRange((double)top["calibratedConfidence"]!, 0.5, 1);
            Assert.Equal(0.8, (double)top["confidence"]!);
        }

        var models = await (await t.Admin.GetAsync($"/v1/tenants/{t.Id}/ranking/models")).Expect(HttpStatusCode.OK);
        var listed = Assert.Single(models["items"]!.AsArray())!;
        Assert.True((bool?)listed["active"]);
        Assert.Equal("ACTIVE", (string?)listed["status"]);
        Assert.Equal(version, (string?)models["active"]);
        Assert.NotNull(listed["evaluation"]);
        var html = await t.Admin.GetAsync((string)listed["links"]!["reportHtml"]!);
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        var page = await html.Content.ReadAsStringAsync();
        Assert.Contains("<svg", page, StringComparison.Ordinal);
        Assert.Contains("precision@1", page, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var report = await (await t.Admin.GetAsync((string)listed["links"]!["report"]!)).Expect(HttpStatusCode.OK);
        Assert.Equal(version, (string?)report["version"]);
        var ledger = await (await t.Admin.GetAsync($"/v1/tenants/{t.Id}/ledger?type=RANKING_MODEL_CHANGED")).Expect(HttpStatusCode.OK);
        Assert.Equal("PROMOTE", (string?)Assert.Single(ledger["items"]!.AsArray())!["payload"]!["change"]);

        // Roll back: the prior is active again and orders the queue by engine confidence, newest first.
        var rolled = await (await t.Admin.PostAsync($"/v1/tenants/{t.Id}/ranking/models/{version}/rollback", null)).Expect(HttpStatusCode.OK);
        Assert.False((bool?)rolled["active"]);
        var queueAfterRollback = await (await t.Sellers["alice"].GetAsync($"/v1/tenants/{t.Id}/sellers/alice/needs-input?limit=500")).Expect(HttpStatusCode.OK);
        Assert.All(queueAfterRollback["items"]!.AsArray(), p => Assert.Equal("prior", (string?)p!["ranker"]));
    }

    [Fact]
    public async Task PromotingACandidateThatFailedTheGateIs409NamingWhy()
    {
        var t = await SetUpAsync();
        await AnswerAsync(t, await RoundAsync(t));
        var candidate = await (await t.Admin.PostAsync($"/v1/tenants/{t.Id}/ranking/calibrate", null)).Expect(HttpStatusCode.OK);
        Assert.Equal("BLOCKED", (string?)candidate["status"]);

        var response = await t.Admin.PostAsync($"/v1/tenants/{t.Id}/ranking/models/{candidate["version"]}/promote", null);

        var problem = await response.Expect(HttpStatusCode.Conflict);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("RANKING_GATE_FAILED", (string?)problem["code"]);
        Assert.Contains("INSUFFICIENT_EVIDENCE", (string?)problem["detail"], StringComparison.Ordinal);
        var models = await (await t.Admin.GetAsync($"/v1/tenants/{t.Id}/ranking/models")).Expect(HttpStatusCode.OK);
        Assert.Equal("prior", (string?)models["active"]);
        await (await t.Admin.PostAsync($"/v1/tenants/{t.Id}/ranking/models/v42/promote", null)).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task LearningIsForAdminsAndBadInputNamesTheField()
    {
        var tenant = Tokens.FreshTenant();
        var seller = factory.Client(Tokens.Seller(tenant, "alice"));
        var admin = factory.Client(Tokens.Admin(tenant));

        await (await seller.GetAsync($"/v1/tenants/{tenant}/ranking/models")).Expect(HttpStatusCode.Forbidden);
        await (await seller.PostAsync($"/v1/tenants/{tenant}/ranking/calibrate", null)).Expect(HttpStatusCode.Forbidden);
        await (await admin.PutJson($"/v1/tenants/{tenant}/ranking/exploration", """{"rate":0.9}""")).ExpectValidationProblem("rate");
        await (await admin.PostAsync($"/v1/tenants/{tenant}/ranking/models/{new string('v', 200)}/promote", null)).ExpectValidationProblem("version");
        var set = await (await admin.PutJson($"/v1/tenants/{tenant}/ranking/exploration", """{"rate":0.1}""")).Expect(HttpStatusCode.OK);
        Assert.Equal(0.1, (double?)set["rate"]);
        var empty = await (await admin.GetAsync($"/v1/tenants/{tenant}/ranking/models")).Expect(HttpStatusCode.OK);
        Assert.Empty(empty["items"]!.AsArray());
        Assert.Equal(0.1, (double?)empty["explorationRate"]);
    }
}

[Collection(GatewayCollection.Name)]
public sealed class RankingApiTests(GatewayFactory factory) : RankingApiTestsBase(factory);

[Collection(ClusterGatewayCollection.Name)]
public sealed class RankingApiTestsInClusterMode(ClusterGatewayFactory factory) : RankingApiTestsBase(factory);

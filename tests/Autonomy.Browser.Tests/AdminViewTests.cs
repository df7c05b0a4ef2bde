using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Browser.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Autonomy.Browser.Tests;

/// <summary>The admin's view in Chromium: the kill switch seen everywhere, ranking models promoted and rolled back.</summary>
[Collection(ControlCenterCollection.Name)]
public sealed class AdminViewTests(ControlCenterFixture fixture)
{
    [Fact]
    public async Task AnAdminEngagesTheKillSwitchWithAConfirmationAndAReasonAndEveryOpenViewShowsIt()
    {
        var t = await Tenant.CreateAsync(fixture);
        await t.AccountWithProposalAsync("acc-kill", "seller-1");
        await using var admin = await fixture.OpenAsync(t.AdminToken, "#/admin");
        await using var seller = await fixture.OpenAsync(t.SellerToken("seller-1"), "#/seller", 390, 844);
        await using var account = await fixture.OpenAsync(t.AdminToken, "#/account/acc-kill");
        foreach (var p in new[] { admin, seller, account })
        {
            await Expect(p.Page.Locator("#killswitch")).ToHaveClassAsync("killswitch clear");
        }

        await admin.Page.Locator("#kill-switches button[data-scope=all]").ClickAsync();
        var dialog = admin.Page.Locator("#kill-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync("Engage the kill switch for everything?");

        // No reason, no change: the dialog stays and nothing is engaged.
        await dialog.Locator("#kill-confirm").ClickAsync();
        await Expect(dialog).ToBeVisibleAsync();
        var before = await (await t.Admin.GetAsync(t.Path("autonomy"))).Expect(HttpStatusCode.OK);
        Assert.False((bool)before["killSwitches"]!["all"]!["engaged"]!);

        await dialog.Locator("#kill-reason").FillAsync("pricing change");
        await dialog.Locator("#kill-confirm").ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();

        foreach (var p in new[] { admin, seller, account })
        {
            var banner = p.Page.Locator("#killswitch");
            await Expect(banner).ToHaveClassAsync("killswitch engaged", new() { Timeout = 3000 });
            await Expect(banner).ToContainTextAsync("KILL SWITCH ENGAGED");
            await Expect(banner).ToContainTextAsync("pricing change");
        }

        await Expect(admin.Page.Locator("#kill-switches tr", new() { HasText = "all" }).First).ToContainTextAsync("ENGAGED");
        var after = await (await t.Admin.GetAsync(t.Path("autonomy"))).Expect(HttpStatusCode.OK);
        Assert.True((bool)after["killSwitches"]!["all"]!["engaged"]!);
        Assert.Equal("pricing change", (string?)after["killSwitches"]!["all"]!["reason"]);
        await admin.ScreenshotAsync("admin");
        foreach (var p in new[] { admin, seller, account })
        {
            await p.AssertNoCspViolationsAsync();
        }
    }

    [Fact]
    public async Task AnAdminReplaysAModeChangeOverTheLedgerBeforeSavingIt()
    {
        var t = await Tenant.CreateAsync(fixture);
        await t.AccountWithProposalAsync("acc-replay", "seller-1");
        await using var admin = await fixture.OpenAsync(t.AdminToken, "#/admin");
        var page = admin.Page;

        await page.Locator("#replay-modes select[data-replay-type=CREATE_TASK]").SelectOptionAsync("APPROVAL_REQUIRED");
        await page.Locator("#replay-run").ClickAsync();

        // The run's autonomous CREATE_TASK would have waited for a human; its SEND_EMAIL waited already and stays as it was.
        var rows = page.Locator("#replay-result tbody tr");
        await Expect(rows).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(rows.First).ToContainTextAsync("CREATE_TASK");
        await Expect(rows.First).ToContainTextAsync("AUTO_EXECUTE");
        await Expect(rows.First).ToContainTextAsync("MODE_APPROVAL_REQUIRED");
        await Expect(rows.First.Locator("a[href^='#/auditor/run/']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#replay-summary")).ToContainTextAsync("1 of 2 decision(s) would change");
        var unsaved = await (await t.Admin.GetAsync(t.Path("autonomy"))).Expect(HttpStatusCode.OK);
        Assert.Contains(unsaved["modes"]!.AsArray(), m => (string?)m!["actionType"] == "CREATE_TASK" && (string?)m["mode"] == "AUTO_EXECUTE");
        await admin.ScreenshotAsync("admin-replay");

        await page.Locator("#replay-save").ClickAsync();
        await Eventually.UntilAsync(
            async () => (await (await t.Admin.GetAsync(t.Path("autonomy"))).Expect(HttpStatusCode.OK))["modes"]!.AsArray()
                .Any(m => (string?)m!["actionType"] == "CREATE_TASK" && (string?)m["mode"] == "APPROVAL_REQUIRED"),
            TimeSpan.FromSeconds(10),
            "CREATE_TASK saved as APPROVAL_REQUIRED");
        await admin.AssertNoCspViolationsAsync();
    }

    [Fact]
    public async Task AnAdminPromotesAndRollsBackARankingModelAndReadsItsReport()
    {
        var t = await RankingTenant.TrainedAsync(fixture);
        await using var admin = await fixture.OpenAsync(t.AdminToken, "#/admin");
        var page = admin.Page;
        await Expect(page.Locator("#ranking-active")).ToHaveTextAsync("prior");

        await page.Locator("#ranking button", new() { HasText = "Calibrate now" }).ClickAsync();
        var promote = page.Locator("#ranking-models button[data-action=promote]");
        await Expect(promote).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        var version = await promote.GetAttributeAsync("data-version");
        Assert.NotNull(version);

        await page.Locator("#ranking-models button[data-action=report]").ClickAsync();
        await Expect(page.Locator("#ranking-report")).ToContainTextAsync("The gate passed.");
        await Expect(page.Locator("#ranking-report")).ToContainTextAsync("precision@1");

        await promote.ClickAsync();
        await Expect(page.Locator("#ranking-active")).ToHaveTextAsync(version);
        var models = await (await t.Admin.GetAsync(t.Path("ranking/models"))).Expect(HttpStatusCode.OK);
        Assert.Equal(version, (string?)models["active"]);

        await page.Locator($"#ranking-models button[data-action=rollback][data-version=\"{version}\"]").ClickAsync();
        await Expect(page.Locator("#ranking-active")).ToHaveTextAsync("prior");
        models = await (await t.Admin.GetAsync(t.Path("ranking/models"))).Expect(HttpStatusCode.OK);
        Assert.Equal("prior", (string?)models["active"]);
        await admin.AssertNoCspViolationsAsync();

        // The HTML report works under the same Content-Security-Policy: its stylesheet loads, nothing inline is refused.
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {t.AdminToken}" },
        });
        var report = new ControlCenterPage(context, await context.NewPageAsync());
        await using (report)
        {
            await report.WatchAsync();
            var response = await report.Page.GotoAsync(new Uri(fixture.Address, t.Path($"ranking/models/{version}/report.html")).ToString());
            Assert.Equal(200, response!.Status);
            Assert.StartsWith("default-src 'self'", response.Headers["content-security-policy"], StringComparison.Ordinal);
            Assert.Equal("collapse", await report.Page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('table')).borderCollapse"));
            await report.AssertNoCspViolationsAsync();
        }
    }
}

/// <summary>A tenant whose sellers answered enough proposals for a candidate model to pass the promotion gate (as RankingApiTests).</summary>
public static class RankingTenant
{
    private const string Playbook = """
        {"rules":[{"when":{"signalType":"TEST_INSTANT"},
                   "propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Call back"},"confidence":0.8},
                              {"actionType":"DRAFT_EMAIL","parameters":{"template":"follow-up"},"confidence":0.8}]}],
         "triggers":[{"type":"TEST_INSTANT","debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}]}
        """;

    private static readonly Dictionary<string, string> Favourite = new() { ["alice"] = "DRAFT_EMAIL", ["bob"] = "CREATE_TASK" };

    private const int AccountsPerSeller = 8;

    private const int Rounds = 4;

    public sealed record Trained(string Id, string AdminToken, HttpClient Admin)
    {
        public string Path(string rest) => $"/v1/tenants/{Id}/{rest}";
    }

    public static async Task<Trained> TrainedAsync(ControlCenterFixture fixture)
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..10];
        var adminToken = ControlCenterFixture.Token(id, "alice-admin", "admin");
        var admin = fixture.Client(adminToken);
        var ingest = fixture.Client(ControlCenterFixture.Token(id, "crm", "ingest"));
        var sellers = Favourite.Keys.ToDictionary(s => s, s => fixture.Client(ControlCenterFixture.Token(id, s, "seller")));
        await (await admin.PutJson($"/v1/tenants/{id}/playbook", Playbook)).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{id}/cost-budget", """{"decisionRunsPerDay":10000,"engineTokensPerDay":2000000,"pullsPerDay":50000,"minRunIntervalSeconds":0,"minMarginalValue":0}""")).Expect(HttpStatusCode.OK);
        foreach (var seller in Favourite.Keys)
        {
            for (var a = 0; a < AccountsPerSeller; a++)
            {
                await (await ingest.PutJson($"/v1/tenants/{id}/accounts/{seller}-{a}", $$"""{"ownerId":"{{seller}}","lifecycle":"CUSTOMER"}""")).Expect(HttpStatusCode.OK);
            }
        }

        for (var round = 0; round < Rounds; round++)
        {
            foreach (var seller in Favourite.Keys)
            {
                for (var a = 0; a < AccountsPerSeller; a++)
                {
                    await (await ingest.PostJson($"/v1/tenants/{id}/accounts/{seller}-{a}/signals", $$"""{"signals":[{"id":"{{Guid.NewGuid():N}}","type":"TEST_INSTANT"}]}""")).Expect(HttpStatusCode.Accepted);
                }
            }

            foreach (var (seller, client) in sellers)
            {
                var queue = await Eventually.FoundAsync(
                    async () => (await (await client.GetAsync($"/v1/tenants/{id}/sellers/{seller}/needs-input?limit=500")).Expect(HttpStatusCode.OK))["items"]!.AsArray() is { Count: 2 * AccountsPerSeller } items ? items : null,
                    TimeSpan.FromSeconds(30),
                    $"{seller}'s queue to fill");
                foreach (var p in queue.Select(p => p!))
                {
                    var path = $"/v1/tenants/{id}/proposals/{p["proposalId"]}";
                    var response = (string?)p["actionType"] == Favourite[seller]
                        ? await client.PostJson($"{path}/approve", $$"""{"argsDigest":"{{p["argsDigest"]}}"}""")
                        : await client.PostJson($"{path}/reject", """{"reason":"not for me"}""");
                    await response.Expect(HttpStatusCode.OK);
                }
            }
        }

        return new Trained(id, adminToken, admin);
    }
}

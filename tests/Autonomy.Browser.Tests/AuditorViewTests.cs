using System.Text.Json.Nodes;
using Autonomy.Browser.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Autonomy.Browser.Tests;

/// <summary>The auditor's view in Chromium: search, a run explained for a person, verify, export.</summary>
[Collection(ControlCenterCollection.Name)]
public sealed class AuditorViewTests(ControlCenterFixture fixture)
{
    [Fact]
    public async Task AnAuditorOpensARunsExplanationVerifiesTheLedgerAndExportsIt()
    {
        var t = await Tenant.CreateAsync(fixture);
        await t.AccountWithProposalAsync("acc-audit", "seller-1");
        await using var auditor = await fixture.OpenAsync(t.AuditorToken, "#/auditor");
        var page = auditor.Page;
        await Expect(page.Locator("#nav a")).ToHaveTextAsync(["Auditor"]);

        await page.Locator("#ledger-search select[name=type]").SelectOptionAsync("ACTION_EXECUTED");
        await page.Locator("#ledger-search input[name=accountId]").FillAsync("acc-audit");
        await page.Locator("#ledger-search button[type=submit]").ClickAsync();
        var explain = page.Locator("#ledger-results button[data-run]").First;
        await Expect(explain).ToBeVisibleAsync();
        await explain.ClickAsync();

        var explanation = page.Locator("#explanation");
        await Expect(explanation).ToContainTextAsync("Why: the chain of steps");
        await Expect(explanation).ToContainTextAsync("What it knew");
        await Expect(explanation).ToContainTextAsync("Which policy");
        await Expect(explanation).ToContainTextAsync("policy evaluated");
        await Expect(explanation).ToContainTextAsync("AutoApprovalPolicyV1");
        await Expect(explanation).ToContainTextAsync("CREATE_TASK: AUTO_EXECUTE (ALLOWED_BY_POLICY");
        var text = await explanation.InnerTextAsync();
        Assert.DoesNotContain("{\"", text, StringComparison.Ordinal);

        await page.Locator("#verify").ClickAsync();
        await Expect(page.Locator("#verify-verdict")).ToContainTextAsync("Intact");
        await Expect(page.Locator("#verify-result")).ToContainTextAsync("Not yet checkpointed");
        await page.EvaluateAsync("() => document.getElementById('explanation').scrollIntoView()");
        await auditor.ScreenshotAsync("auditor");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export").ClickAsync());
        Assert.Equal($"ledger-{t.Id}.ndjson", download.SuggestedFilename);
        var lines = File.ReadAllLines(await download.PathAsync());
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.NotNull(JsonNode.Parse(line)));
        Assert.Contains(lines, line => line.Contains("\"ACTION_EXECUTED\"", StringComparison.Ordinal));
        await auditor.AssertNoCspViolationsAsync();
    }
}

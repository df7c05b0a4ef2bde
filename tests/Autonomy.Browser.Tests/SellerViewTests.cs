using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Browser.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Autonomy.Browser.Tests;

/// <summary>The seller's view in Chromium: approving what was shown, the timeline, live arrival, isolation.</summary>
[Collection(ControlCenterCollection.Name)]
public sealed class SellerViewTests(ControlCenterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task ASellerApprovesAProposalBoundToTheDigestShownAndSeesItInTheTimeline()
    {
        var t = await Tenant.CreateAsync(fixture);
        var proposal = await t.AccountWithProposalAsync("acc-approve", "seller-1");
        var id = (string)proposal["proposalId"]!;
        var digest = (string)proposal["argsDigest"]!;

        await using var seller = await fixture.OpenAsync(t.SellerToken("seller-1"), "#/seller", 390, 844);
        var card = seller.Page.Locator($"article.proposal[data-proposal-id=\"{id}\"]");
        await Expect(card).ToContainTextAsync("EXTERNAL_CONTACT");
        await Expect(card).ToContainTextAsync(digest);
        await Expect(card).ToContainTextAsync("70 %");
        await Expect(seller.Page.Locator("#timeline")).ToContainTextAsync("Autopilot did create task");
        await seller.ScreenshotAsync("seller");

        var approve = await seller.Page.RunAndWaitForRequestAsync(
            () => card.Locator("button[data-action=approve]").ClickAsync(),
            r => r.Method == "POST" && r.Url.EndsWith("/approve", StringComparison.Ordinal));
        Assert.Equal(digest, (string?)JsonNode.Parse(approve.PostData!)!["argsDigest"]);

        await Expect(card).ToHaveCountAsync(0);
        await Expect(seller.Page.Locator("#timeline li.action", new() { HasText = "Executed after approval: send email" })).ToBeVisibleAsync();
        var timeline = await (await t.Seller("seller-1").GetAsync(t.Path("sellers/seller-1/timeline"))).Expect(HttpStatusCode.OK);
        Assert.Contains(timeline["items"]!.AsArray(), a => (string?)a!["proposalId"] == id && (string?)a["status"] == "SUCCEEDED");
        await seller.AssertNoCspViolationsAsync();
    }

    [Fact]
    public async Task ASellerEditsOneProposalRejectsAnotherAndRevertsWhatAutopilotDid()
    {
        var t = await Tenant.CreateAsync(fixture);
        var edited = await t.AccountWithProposalAsync("acc-edit", "seller-1");
        var rejected = await t.AccountWithProposalAsync("acc-reject", "seller-1");
        await using var seller = await fixture.OpenAsync(t.SellerToken("seller-1"), "#/seller");
        var page = seller.Page;

        var card = page.Locator($"article.proposal[data-proposal-id=\"{(string)edited["proposalId"]!}\"]");
        await card.Locator("button[data-action=edit]").ClickAsync();
        await card.Locator("textarea").FillAsync("""{"template":"renewal-personal"}""");
        await card.Locator("button", new() { HasText = "Execute edited" }).ClickAsync();
        await Expect(card).ToHaveCountAsync(0);

        card = page.Locator($"article.proposal[data-proposal-id=\"{(string)rejected["proposalId"]!}\"]");
        await card.Locator("button[data-action=reject]").ClickAsync();
        await card.Locator("input").FillAsync("not now");
        await card.Locator(".inline-form button.danger").ClickAsync();
        await Expect(card).ToHaveCountAsync(0);

        var task = page.Locator("#timeline li.action", new() { HasText = "Autopilot did create task" }).First;
        await task.Locator("button[data-action=revert]").ClickAsync();
        await Expect(page.Locator("#timeline li.action", new() { HasText = "reverted" })).ToHaveCountAsync(1);

        var timeline = (await (await t.Seller("seller-1").GetAsync(t.Path("sellers/seller-1/timeline"))).Expect(HttpStatusCode.OK))["items"]!.AsArray();
        Assert.Contains(timeline, a => (string?)a!["proposalId"] == (string)edited["proposalId"]! && (string?)a["parameters"]!["template"] == "renewal-personal");
        Assert.Contains(timeline, a => (string?)a!["status"] == "REVERTED");
        Assert.DoesNotContain(timeline, a => (string?)a!["proposalId"] == (string)rejected["proposalId"]!);
        await seller.AssertNoCspViolationsAsync();
    }

    [Fact]
    public async Task ASignalPostedByTheApiAppearsInTheSellersQueueWithoutAReloadWithinTwoSeconds()
    {
        var t = await Tenant.CreateAsync(fixture);
        await t.AccountAsync("acc-live", "seller-1");
        await using var seller = await fixture.OpenAsync(t.SellerToken("seller-1"), "#/seller");
        await Expect(seller.Page.Locator(".card", new() { HasText = "Needs your input" })).ToContainTextAsync("Nothing waits for you.");
        await seller.Page.EvaluateAsync("() => { window.__sameDocument = true; }");

        var posted = Stopwatch.StartNew();
        await t.SignalAsync("acc-live");
        var proposal = await t.ProposalAsync("seller-1", "acc-live");
        var inApi = posted.Elapsed;

        // The page polls every 2 s until the gateway has an event stream; one poll's request and render ride on top.
        var card = seller.Page.Locator($"article.proposal[data-proposal-id=\"{(string)proposal["proposalId"]!}\"]");
        await Expect(card).ToBeVisibleAsync(new() { Timeout = 2500 });
        var onPage = posted.Elapsed;
        output.WriteLine($"signal posted -> proposal in the API after {inApi.TotalMilliseconds:0} ms, on the page after {onPage.TotalMilliseconds:0} ms");
        Assert.True(onPage - inApi <= TimeSpan.FromMilliseconds(2500), $"shown {(onPage - inApi).TotalMilliseconds:0} ms after the API had it");
        Assert.True(await seller.Page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
        await seller.AssertNoCspViolationsAsync();
    }

    [Fact]
    public async Task ASellersPageNeverShowsAnotherSellersQueueOrAnotherTenantsData()
    {
        var t = await Tenant.CreateAsync(fixture);
        var other = await Tenant.CreateAsync(fixture);
        var mine = await t.AccountWithProposalAsync("acc-mine", "seller-1");
        var theirs = await t.AccountWithProposalAsync("acc-theirs", "seller-2");
        var elsewhere = await other.AccountWithProposalAsync("acc-elsewhere", "seller-1");

        await using var seller = await fixture.OpenAsync(t.SellerToken("seller-1"), "#/seller");
        var page = seller.Page;
        await Expect(page.Locator($"article.proposal[data-proposal-id=\"{(string)mine["proposalId"]!}\"]")).ToBeVisibleAsync();

        // Asking for seller-2's queue, or seller-2's account, shows none of it.
        await page.EvaluateAsync("() => { location.hash = '#/seller/seller-2'; }");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Seller seller-1");
        await Expect(page.Locator("article.proposal")).ToHaveCountAsync(1);
        await page.EvaluateAsync("() => { location.hash = '#/account/acc-theirs'; }");
        await Expect(page.Locator(".view.account .note.bad")).ToContainTextAsync("A seller may read only the accounts it owns");

        var shown = await page.Locator("body").InnerTextAsync();
        foreach (var hidden in new[] { theirs, elsewhere })
        {
            Assert.DoesNotContain((string)hidden["proposalId"]!, shown, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("acc-elsewhere", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(other.Id, shown, StringComparison.Ordinal);

        // And the server refuses the page's token for them, whatever the page asked.
        var statuses = await page.EvaluateAsync<int[]>(
            """
            async ([tenant, other]) => {
              const auth = { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('autonomy.token') } };
              return Promise.all([
                fetch(`/v1/tenants/${tenant}/sellers/seller-2/needs-input`, auth).then(r => r.status),
                fetch(`/v1/tenants/${other}/sellers/seller-1/needs-input`, auth).then(r => r.status)]);
            }
            """,
            new[] { t.Id, other.Id });
        Assert.Equal([403, 403], statuses);
        await seller.AssertNoCspViolationsAsync();
    }
}

using Autonomy.Browser.Tests.Support;
using Autonomy.Gateway.Auth;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Autonomy.Browser.Tests;

/// <summary>The operator opens the Orleans Dashboard from the control center, and it works under its Content-Security-Policy.</summary>
[Collection(ControlCenterCollection.Name)]
public sealed class OperatorDashboardTests(ControlCenterFixture fixture)
{
    [Fact]
    public async Task AnOperatorOpensTheOrleansDashboardFromTheControlCenter()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = new ControlCenterPage(context, await context.NewPageAsync());
        await using (page)
        {
            await page.WatchAsync();
            await page.Page.GotoAsync(MintTokenCommand.SignInLink(fixture.Address, ControlCenterFixture.Token(null, "ops-1", "operator")));

            await page.Page.Locator("#open-dashboard").ClickAsync();
            await page.Page.WaitForURLAsync(new Uri(fixture.Address, "/dashboard/").ToString());

            // The page draws the cluster from its own endpoints, authorized by the session cookie: the silo appears.
            await Expect(page.Page.Locator("#content")).ToContainTextAsync("Silo", new() { Timeout = 15_000 });
            await Expect(page.Page.Locator("#content")).Not.ToContainTextAsync("Loading...", new() { Timeout = 15_000 });
            var cookies = await context.CookiesAsync();
            var session = Assert.Single(cookies, c => c.Name == "autonomy-dashboard");
            Assert.True(session.HttpOnly);
            Assert.Equal("/dashboard", session.Path);
            Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
            await page.ScreenshotAsync("operator-dashboard");
            await page.AssertNoCspViolationsAsync();
        }
    }
}

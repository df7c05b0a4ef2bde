using System.Net;
using System.Text.RegularExpressions;
using Autonomy.Browser.Tests.Support;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Autonomy.Browser.Tests;

/// <summary>Safe by default (headers, no inline script, no markup from data), sign-in, the narrow screen, live updates.</summary>
[Collection(ControlCenterCollection.Name)]
public sealed partial class SafetyAndLayoutTests(ControlCenterFixture fixture)
{
    [Fact]
    public async Task EveryResponseCarriesTheContentSecurityPolicyNosniffAndNoReferrer()
    {
        var t = await Tenant.CreateAsync(fixture);
        using var anonymous = new HttpClient { BaseAddress = fixture.Address };
        var responses = new[]
        {
            await anonymous.GetAsync("/"),
            await anonymous.GetAsync("/js/app.js"),
            await t.Admin.GetAsync(t.Path("autonomy")),
            await anonymous.GetAsync(t.Path("autonomy")),
            await anonymous.GetAsync("/no-such-page"),
        };
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound], responses.Select(r => r.StatusCode));
        foreach (var response in responses)
        {
            Assert.Equal(SecurityHeaders.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        }

        Assert.Equal("text/html", responses[0].Content.Headers.ContentType?.MediaType);
        Assert.Equal("text/javascript", responses[1].Content.Headers.ContentType?.MediaType);
        Assert.Contains("frame-ancestors 'none'", SecurityHeaders.ContentSecurityPolicy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePagesHoldNoInlineScriptOrStyleAndBuildNoMarkupFromStrings()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Address };
        var index = await anonymous.GetStringAsync("/");
        Assert.DoesNotMatch(InlineScript(), index);
        Assert.DoesNotMatch(InlineHandler(), index);
        Assert.DoesNotContain("<style", index, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("style=", index, StringComparison.OrdinalIgnoreCase);

        var scripts = Directory.GetFiles(Repository.PathOf("src/Gateway/ControlCenter/site/js"), "*.js");
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            var code = await anonymous.GetStringAsync("/js/" + Path.GetFileName(script));
            foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('on", ".style." })
            {
                Assert.False(code.Contains(sink, StringComparison.Ordinal), $"{Path.GetFileName(script)} uses {sink}");
            }
        }
    }

    [Fact]
    public async Task AStringFromUpstreamIsShownAsTextAndNoInlineScriptRuns()
    {
        var t = await Tenant.CreateAsync(fixture);
        const string Hostile = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>";
        await (await t.Ingest.PutJson(t.Path("accounts/acc-xss"), $$$"""{"ownerId":"seller-1","lifecycle":"CUSTOMER","posture":{"note":{{{System.Text.Json.JsonSerializer.Serialize(Hostile)}}}}}""")).Expect(HttpStatusCode.OK);
        await using var admin = await fixture.OpenAsync(t.AdminToken, "#/account/acc-xss");
        await Expect(admin.Page.Locator("#main")).ToContainTextAsync(Hostile);
        Assert.Null(await admin.Page.EvaluateAsync<int?>("() => window.__pwned ?? null"));
        Assert.Equal(0, await admin.Page.Locator("#main img").CountAsync());
        await admin.AssertNoCspViolationsAsync();

        // The watch sees what it is meant to: an inline script, were a page to add one, is refused and reported.
        await admin.Page.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.head.append(s); }");
        await Eventually.UntilAsync(async () => (await admin.CspViolationsAsync()).Count == 1, TimeSpan.FromSeconds(5), "the refused inline script to be reported");
        Assert.Null(await admin.Page.EvaluateAsync<int?>("() => window.__inline ?? null"));
    }

    [Fact]
    public async Task TheMintTokenLinkSignsInWithTheTokenInTheFragmentAndTheAddressForgetsIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = "mint-open-test-signing-key-0123456789-abcdef",
            ["Auth:Issuer"] = "autonomy-embedded",
            ["Auth:Audience"] = "autonomy-api",
            ["ASPNETCORE_URLS"] = "http://0.0.0.0:5080;http://localhost:5081",
        }).Build();
        using var printed = new StringWriter();
        Assert.Equal(0, MintTokenCommand.Run(["mint-token", "--tenant", "acme", "--role", "seller", "--sub", "seller-1", "--open"], configuration, printed, TextWriter.Null));
        var link = new Uri(printed.ToString().Trim());
        Assert.Equal("http://127.0.0.1:5080/", link.GetLeftPart(UriPartial.Path));
        Assert.Empty(link.Query);
        Assert.StartsWith("#token=ey", link.Fragment, StringComparison.Ordinal);

        var t = await Tenant.CreateAsync(fixture);
        await using var seller = await fixture.OpenAsync(t.SellerToken("seller-1"), "");
        Assert.DoesNotContain("token", seller.Page.Url, StringComparison.Ordinal);
        Assert.Equal(t.SellerToken("seller-1").Split('.')[0], (await seller.Page.EvaluateAsync<string>("() => sessionStorage.getItem('autonomy.token')")).Split('.')[0]);
        await Expect(seller.Page.Locator("#who")).ToContainTextAsync("seller-1 · seller");
        await Expect(seller.Page.Locator("#nav a")).ToHaveTextAsync(["Seller", "Account"]);
    }

    [Theory]
    [InlineData("#/seller")]
    [InlineData("#/admin")]
    [InlineData("#/auditor")]
    [InlineData("#/account/acc-narrow")]
    public async Task ThePagesFitA390PixelWideScreen(string route)
    {
        var t = await Tenant.CreateAsync(fixture);
        await t.AccountWithProposalAsync("acc-narrow", "seller-1");
        var token = ControlCenterFixture.Token(t.Id, "seller-1", "admin", "seller", "auditor");
        await using var narrow = await fixture.OpenAsync(token, route, 390, 844);
        await Expect(narrow.Page.Locator("main h1")).ToBeVisibleAsync();
        await Expect(narrow.Page.Locator("#killswitch")).ToBeVisibleAsync();
        if (route.StartsWith("#/account", StringComparison.Ordinal))
        {
            await Expect(narrow.Page.Locator("#account-proposals article.proposal")).ToHaveCountAsync(1);
            await Expect(narrow.Page.Locator("#account-overview")).ToContainTextAsync("Heat");
            await narrow.ScreenshotAsync("account");
        }
        else if (route == "#/auditor")
        {
            await narrow.Page.Locator("#ledger-results button[data-run]").First.ClickAsync();
            await Expect(narrow.Page.Locator("#explanation")).ToBeVisibleAsync();
        }
        else
        {
            // The event stream keeps a request open, so the network is never idle: the view is loaded once it streams
            // (it reloads on connect) and the kill-switch banner, read with it, shows.
            await Expect(narrow.Page.Locator("#live")).ToHaveAttributeAsync("data-mode", "stream");
            await Expect(narrow.Page.Locator("#killswitch")).ToBeVisibleAsync();
        }

        var width = await narrow.Page.EvaluateAsync<int>("() => document.scrollingElement.scrollWidth");
        Assert.True(width <= 390, $"{route} is {width} px wide at a 390 px viewport");
        await narrow.AssertNoCspViolationsAsync();
    }

    [Fact]
    public async Task TheEventStreamReaderParsesEventsAcrossChunks()
    {
        var t = await Tenant.CreateAsync(fixture);
        await using var seller = await fixture.OpenAsync(t.SellerToken("seller-1"), "");
        var parsed = await seller.Page.EvaluateAsync<string>(
            """
            async () => {
              const { readEvents } = await import('/js/live.js');
              const chunks = ['event: proposal\ndata: {"a":1}\n', '\n: a comment\n', 'data: x\r', '\ndata: y\n\n', 'retry: 5000\n\n', 'data: unterminated'];
              const body = new ReadableStream({ start(c) { const e = new TextEncoder(); for (const x of chunks) c.enqueue(e.encode(x)); c.close(); } });
              const events = [];
              let retry = null;
              await readEvents(body, e => events.push(e), ms => { retry = ms; });
              return JSON.stringify({ events, retry });
            }
            """);
        Assert.Equal("""{"events":[{"type":"proposal","data":"{\"a\":1}","id":null},{"type":"message","data":"x\ny","id":null}],"retry":5000}""", parsed);
    }

    [Fact]
    public async Task TheViewPollsWhileTheGatewayHasNoEventStreamAndReadsTheStreamOnceItHasOne()
    {
        var t = await Tenant.CreateAsync(fixture);
        // A gateway without the stream (404, as before it existed): the page polls.
        var pollingContext = await fixture.Browser.NewContextAsync();
        var polling = new ControlCenterPage(pollingContext, await pollingContext.NewPageAsync());
        await using (polling)
        {
            await polling.Page.RouteAsync("**/v1/tenants/*/sellers/seller-1/events", route => route.FulfillAsync(new RouteFulfillOptions { Status = 404 }));
            await polling.WatchAsync();
            await polling.Page.GotoAsync(MintTokenCommand.SignInLink(fixture.Address, t.SellerToken("seller-1")));
            await Expect(polling.Page.Locator("#live")).ToHaveAttributeAsync("data-mode", "poll");
        }

        // A gateway with the stream: the page sends the token in a header (never in the URL) and reloads the view on connect.
        var context = await fixture.Browser.NewContextAsync();
        var stream = new ControlCenterPage(context, await context.NewPageAsync());
        await using (stream)
        {
            var seen = new List<(string Url, string? Authorization)>();
            await stream.Page.RouteAsync("**/v1/tenants/*/sellers/seller-1/events", async route =>
            {
                lock (seen)
                {
                    seen.Add((route.Request.Url, route.Request.Headers.GetValueOrDefault("authorization")));
                }

                await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/event-stream", Body = "retry: 60000\n\nevent: proposal\ndata: {}\n\n" });
            });
            var reloads = 0;
            stream.Page.Request += (_, request) =>
            {
                if (request.Url.Contains("/needs-input", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref reloads);
                }
            };
            await stream.WatchAsync();
            await stream.Page.GotoAsync(MintTokenCommand.SignInLink(fixture.Address, t.SellerToken("seller-1")));
            await Expect(stream.Page.Locator("#live")).ToHaveAttributeAsync("data-mode", "retry");
            lock (seen)
            {
                var (url, authorization) = Assert.Single(seen);
                Assert.DoesNotContain("token", url, StringComparison.Ordinal);
                Assert.Equal($"Bearer {t.SellerToken("seller-1")}".Split('.')[0], authorization?.Split('.')[0]);
            }

            // The first load, then one reload on connect (the event's reload joins it or follows it).
            await Eventually.UntilAsync(() => Volatile.Read(ref reloads) >= 2, TimeSpan.FromSeconds(5), "a reload after the stream connected");
            await stream.AssertNoCspViolationsAsync();
        }
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();
}

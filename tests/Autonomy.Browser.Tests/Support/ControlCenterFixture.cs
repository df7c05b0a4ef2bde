using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Auth;
using Microsoft.Playwright;

namespace Autonomy.Browser.Tests.Support;

/// <summary>
/// The built gateway run as a process in embedded mode on a free loopback port (a fresh data directory, a test signing
/// key, its own silo ports), and Debian's Chromium driven by Playwright. Playwright never downloads a browser: the
/// tests use <c>/usr/bin/chromium</c> and fail, saying so, when it is missing (.ci/run installs it).
/// </summary>
public sealed class ControlCenterFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private const string SigningKey = "browser-tests-signing-key-0123456789-abcdef";

    private static readonly AuthOptions Auth = new() { SigningKey = SigningKey, Issuer = "autonomy-embedded", Audience = "autonomy-api" };

    private readonly TempDirectory _data = new();
    private HostProcess? _gateway;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public Uri Address => _gateway?.Address ?? throw new InvalidOperationException("Not started.");

    public string Log => _gateway?.Log ?? "";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing: the browser tests drive Debian's Chromium and never download one. Install it with `apt-get install -y chromium` (.ci/run does).");
        }

        _gateway = HostProcess.Start("gateway", ProcessCluster.HostDll("Gateway"), Loopback.FreePort(),
        [
            $"--Autonomy:DataDirectory={_data.Path}",
            $"--Autonomy:SiloPort={Loopback.FreePort().ToString(CultureInfo.InvariantCulture)}",
            $"--Autonomy:GatewayPort={Loopback.FreePort().ToString(CultureInfo.InvariantCulture)}",
            $"--Auth:SigningKey={SigningKey}",
            "--Autonomy:Engine:MinRunInterval=00:00:00",
            "--Autonomy:Dashboard:Enabled=true",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await _gateway.WaitReadyAsync();

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        _data.Dispose();
    }

    /// <summary>A token the gateway accepts, minted as <c>mint-token</c> does.</summary>
    public static string Token(string? tenant, string sub, params string[] roles) =>
        MintTokenCommand.Mint(Auth, tenant, roles, sub, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// A page in a context of its own (its own session storage), signed in through the link <c>mint-token --open</c>
    /// prints, at <paramref name="route"/> (e.g. <c>#/admin</c>). Console errors and CSP violations are recorded.
    /// </summary>
    public async Task<ControlCenterPage> OpenAsync(string token, string route, int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        var watched = new ControlCenterPage(context, page);
        await watched.WatchAsync();
        await page.GotoAsync(MintTokenCommand.SignInLink(Address, token));
        await page.Locator("#nav a").First.WaitForAsync();
        if (route.Length > 0)
        {
            await page.EvaluateAsync("r => { location.hash = r; }", route);
        }

        return watched;
    }
}

/// <summary>A signed-in page and what it reported: CSP violations (events and console) and console errors.</summary>
public sealed class ControlCenterPage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    private readonly List<string> _consoleErrors = [];

    public IPage Page { get; } = page;

    public IReadOnlyList<string> ConsoleErrors
    {
        get
        {
            lock (_consoleErrors)
            {
                return [.. _consoleErrors];
            }
        }
    }

    /// <summary>The securitypolicyviolation events the document fired, read from the page.</summary>
    public async Task<IReadOnlyList<string>> CspViolationsAsync() =>
        await Page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []");

    internal async Task WatchAsync()
    {
        // Added through the DevTools protocol, which the page's CSP does not govern; the page's own scripts are governed.
        await Page.AddInitScriptAsync("""
            window.__cspViolations = [];
            document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
            """);
        Page.Console += (_, message) =>
        {
            if (message.Type == "error" || message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                lock (_consoleErrors)
                {
                    _consoleErrors.Add(message.Text);
                }
            }
        };
    }

    /// <summary>Fails when the page reported a CSP violation, by event or on its console.</summary>
    public async Task AssertNoCspViolationsAsync()
    {
        Assert.Empty(await CspViolationsAsync());
        Assert.DoesNotContain(ConsoleErrors, e => e.Contains("Content Security Policy", StringComparison.Ordinal));
    }

    /// <summary>Saves a screenshot of the viewport to docs/images/ for the README.</summary>
    public async Task ScreenshotAsync(string name)
    {
        var path = Repository.PathOf($"docs/images/{name}.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, Type = ScreenshotType.Png });
    }

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}

[CollectionDefinition(Name)]
public sealed class ControlCenterCollection : ICollectionFixture<ControlCenterFixture>
{
    public const string Name = "control-center";
}

public static class Http
{
    public static Task<HttpResponseMessage> PutJson(this HttpClient client, string path, string json) =>
        client.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Asserts the status (showing the body when it differs) and returns the JSON body.</summary>
    public static async Task<JsonNode> Expect(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body) ?? new JsonObject();
    }
}

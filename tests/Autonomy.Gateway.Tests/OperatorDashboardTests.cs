using System.Globalization;
using System.Net;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Gateway.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace Autonomy.Gateway.Tests;

/// <summary>The gateway with <c>Autonomy:Dashboard:Enabled</c> on (its own silo ports, beside the shared gateway).</summary>
public sealed class DashboardGatewayFactory : GatewayFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Autonomy:SiloPort", Loopback.FreePort().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Autonomy:GatewayPort", Loopback.FreePort().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Autonomy:Dashboard:Enabled", "true");
    }
}

/// <summary>The Orleans Dashboard at /dashboard: off unless configured; on, the operator's alone, by bearer token or its session cookie.</summary>
[Collection(GatewayCollection.Name)]
public sealed class OperatorDashboardOffTests(GatewayFactory factory)
{
    [Theory]
    [InlineData("GET", "/dashboard/")]
    [InlineData("GET", "/dashboard/ClusterStats")]
    [InlineData("POST", "/dashboard/session")]
    public async Task TheDashboardIsNotThereUnlessConfigured(string method, string path)
    {
        using var response = await factory.Client(Tokens.For(null, "ops-1", "operator")).SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

public sealed class OperatorDashboardTests(DashboardGatewayFactory factory) : IClassFixture<DashboardGatewayFactory>
{
    private static readonly string Operator = Tokens.For(null, "ops-1", "operator");

    [Fact]
    public async Task TheOperatorGetsThePageAndTheClusterUnderTheDashboardsOwnPolicy()
    {
        var client = factory.Client(Operator);

        using var page = await client.GetAsync("/dashboard/");
        var html = await page.Content.ReadAsStringAsync();
        using var stats = await client.GetAsync("/dashboard/ClusterStats");
        using var api = await client.GetAsync("/v1/platform/kill-switch");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans Dashboard", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        Assert.Equal("application/json", stats.Content.Headers.ContentType?.MediaType);
        Assert.Equal(OperatorDashboard.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("script-src 'self';", OperatorDashboard.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, api.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("admin", HttpStatusCode.Forbidden)]
    [InlineData("seller", HttpStatusCode.Forbidden)]
    [InlineData("auditor", HttpStatusCode.Forbidden)]
    [InlineData("ingest", HttpStatusCode.Forbidden)]
    [InlineData("operator", HttpStatusCode.OK)]
    public async Task OnlyTheOperatorIsLetIn(string? role, HttpStatusCode expected)
    {
        var client = factory.Client(role is null ? null : Tokens.For(role == "operator" ? null : Tokens.FreshTenant(), "someone", role));

        using var response = await client.GetAsync("/dashboard/ClusterStats");

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task ASessionCookieCarriesTheOperatorsTokenForTheDashboardOnly()
    {
        using var session = await factory.Client(Operator).PostAsync("/dashboard/session", content: null);
        Assert.Equal(HttpStatusCode.NoContent, session.StatusCode);
        var setCookie = session.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith($"{OperatorDashboard.SessionCookie}=", setCookie, StringComparison.Ordinal);
        Assert.Contains("path=/dashboard", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = setCookie.Split(';')[0];

        Assert.Equal(HttpStatusCode.OK, await WithCookieAsync("/dashboard/ClusterStats", cookie));
        // Nowhere else does the cookie authenticate anything.
        Assert.Equal(HttpStatusCode.Unauthorized, await WithCookieAsync("/v1/platform/kill-switch", cookie));
        // The token in it is checked like any: another role's is refused, and a forged one is no token.
        Assert.Equal(HttpStatusCode.Forbidden, await WithCookieAsync("/dashboard/ClusterStats", $"{OperatorDashboard.SessionCookie}={Tokens.Admin(Tokens.FreshTenant())}"));
        Assert.Equal(HttpStatusCode.Unauthorized, await WithCookieAsync("/dashboard/ClusterStats", $"{OperatorDashboard.SessionCookie}=not.a.token"));
    }

    [Fact]
    public async Task OnlyAnOperatorMayStartASession()
    {
        using var response = await factory.Client(Tokens.Admin(Tokens.FreshTenant())).PostAsync("/dashboard/session", content: null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    private async Task<HttpStatusCode> WithCookieAsync(string path, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        using var response = await factory.Client(null).SendAsync(request);
        return response.StatusCode;
    }
}

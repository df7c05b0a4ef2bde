using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Autonomy.Gateway.Tests;

/// <summary>Every way a token can be wrong, sent over HTTP to the gateway: each one is a 401 problem, and the same token done right is a 200.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TokenMatrixTests(GatewayFactory factory)
{
    private static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>A name and how to spoil the valid token of a tenant.</summary>
    public static TheoryData<string> Spoiled() =>
    [
        "alg none", "alg none with the valid signature", "HS512 with the right key", "RS256", "RS256 header over an HMAC signature",
        "another key", "another issuer", "no issuer", "another audience", "no audience", "expired", "not yet valid", "no exp",
        "no sub", "empty sub", "sub system", "sub SYSTEM", "sub System with spaces", "lifetime over the maximum",
        "neither iat nor nbf", "a tampered claim",
    ];

    [Fact]
    public async Task TheHandBuiltTokenDoneRightIsAccepted()
    {
        var tenant = Tokens.FreshTenant();

        await (await factory.Client(RawTokens.Valid(tenant)).GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(Spoiled))]
    public async Task ASpoiledTokenIs401ProblemDetails(string how)
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Spoil(how, tenant)).GetAsync($"/v1/tenants/{tenant}/autonomy");

        var problem = await response.Expect(HttpStatusCode.Unauthorized);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(401, (int?)problem["status"]);
    }

    [Fact]
    public async Task ATokenInTheQueryStringDoesNotAuthenticate()
    {
        var tenant = Tokens.FreshTenant();
        var token = RawTokens.Valid(tenant);
        var anonymous = factory.Client(null);

        await (await anonymous.GetAsync($"/v1/tenants/{tenant}/autonomy?access_token={token}")).Expect(HttpStatusCode.Unauthorized);
        await (await anonymous.GetAsync($"/v1/tenants/{tenant}/ledger?access_token={token}")).Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ATokenUnderAnotherSchemeDoesNotAuthenticate()
    {
        var tenant = Tokens.FreshTenant();
        var token = RawTokens.Valid(tenant);
        var basic = factory.Client(null);
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);

        await (await basic.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ATokenUpToTheMaximumLifetimeIsAccepted()
    {
        var tenant = Tokens.FreshTenant();
        var claims = RawTokens.Claims(tenant);
        claims["exp"] = Now + (long)AuthOptions.DefaultMaxTokenLifetime.TotalSeconds;
        claims["iat"] = Now;
        claims["nbf"] = Now;

        await (await factory.Client(RawTokens.Hs256(RawTokens.Header(), claims)).GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("system")]
    [InlineData("System")]
    [InlineData(" SYSTEM ")]
    public void MintTokenRefusesTheReservedSubject(string sub)
    {
        var (exit, output, error) = Mint(["mint-token", "--tenant", "t1", "--role", "admin", "--sub", sub]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("reserved", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => MintTokenCommand.Mint(GatewayFactory.Auth, "t1", ["admin"], sub, TimeSpan.FromHours(1), DateTimeOffset.UtcNow));
    }

    [Fact]
    public void MintTokenRefusesALifetimeBeyondTheMaximumNamingTheSetting()
    {
        var (exit, output, error) = Mint(["mint-token", "--tenant", "t1", "--role", "admin", "--sub", "alice", "--hours", "721"]);
        var (shortExit, _, shortError) = Mint(["mint-token", "--tenant", "t1", "--role", "admin", "--sub", "alice", "--hours", "2"], ("Auth:MaxTokenLifetime", "01:00:00"));
        var (okExit, token, _) = Mint(["mint-token", "--tenant", "t1", "--role", "admin", "--sub", "alice", "--hours", "720"]);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("Auth:MaxTokenLifetime", error, StringComparison.Ordinal);
        Assert.Contains("720", error, StringComparison.Ordinal);
        Assert.Equal(2, shortExit);
        Assert.Contains("Auth:MaxTokenLifetime", shortError, StringComparison.Ordinal);
        Assert.Equal(0, okExit);
        Assert.NotEmpty(token.Trim());
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-01:00:00")]
    public void AMaximumLifetimeThatIsNotPositiveIsASettingProblem(string lifetime)
    {
        var options = new AuthOptions
        {
            SigningKey = GatewayFactory.Auth.SigningKey,
            Issuer = GatewayFactory.Auth.Issuer,
            Audience = GatewayFactory.Auth.Audience,
            MaxTokenLifetime = TimeSpan.Parse(lifetime, System.Globalization.CultureInfo.InvariantCulture),
        };

        Assert.Contains(options.Problems(), p => p.Contains("Auth:MaxTokenLifetime", StringComparison.Ordinal));
    }

    private static (int Exit, string Output, string Error) Mint(string[] args, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = GatewayFactory.Auth.SigningKey,
            ["Auth:Issuer"] = GatewayFactory.Auth.Issuer,
            ["Auth:Audience"] = GatewayFactory.Auth.Audience,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = MintTokenCommand.Run(args, new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static string Spoil(string how, string tenant)
    {
        var claims = RawTokens.Claims(tenant);
        JsonObject With(params (string Name, JsonNode? Value)[] changes)
        {
            foreach (var (name, value) in changes)
            {
                claims[name] = value;
            }

            return claims;
        }

        JsonObject Without(params string[] names)
        {
            foreach (var name in names)
            {
                claims.Remove(name);
            }

            return claims;
        }

        return how switch
        {
            "alg none" => RawTokens.Unsigned(claims),
            "alg none with the valid signature" => WithHeader(RawTokens.Valid(tenant), RawTokens.Header("none")),
            "HS512 with the right key" => RawTokens.Hs512(claims),
            "RS256" => RawTokens.Rs256(claims),
            "RS256 header over an HMAC signature" => RawTokens.Hs256(RawTokens.Header("RS256"), claims),
            "another key" => RawTokens.Hs256(RawTokens.Header(), claims, "someone-elses-key-0123456789-0123456789"),
            "another issuer" => RawTokens.Hs256(RawTokens.Header(), With(("iss", "https://evil.example.com"))),
            "no issuer" => RawTokens.Hs256(RawTokens.Header(), Without("iss")),
            "another audience" => RawTokens.Hs256(RawTokens.Header(), With(("aud", "some-other-api"))),
            "no audience" => RawTokens.Hs256(RawTokens.Header(), Without("aud")),
            "expired" => RawTokens.Hs256(RawTokens.Header(), With(("iat", Now - 7200), ("nbf", Now - 7200), ("exp", Now - 600))),
            "not yet valid" => RawTokens.Hs256(RawTokens.Header(), With(("nbf", Now + 3600), ("exp", Now + 7200))),
            "no exp" => RawTokens.Hs256(RawTokens.Header(), Without("exp")),
            "no sub" => RawTokens.Hs256(RawTokens.Header(), Without("sub")),
            "empty sub" => RawTokens.Hs256(RawTokens.Header(), With(("sub", ""))),
            "sub system" => RawTokens.Hs256(RawTokens.Header(), With(("sub", "system"))),
            "sub SYSTEM" => RawTokens.Hs256(RawTokens.Header(), With(("sub", "SYSTEM"))),
            "sub System with spaces" => RawTokens.Hs256(RawTokens.Header(), With(("sub", " System "))),
            "lifetime over the maximum" => RawTokens.Hs256(RawTokens.Header(), With(("exp", Now + (long)AuthOptions.DefaultMaxTokenLifetime.TotalSeconds + 3600))),
            "neither iat nor nbf" => RawTokens.Hs256(RawTokens.Header(), Without("iat", "nbf")),
            "a tampered claim" => Tamper(RawTokens.Valid(tenant), tenant),
            _ => throw new ArgumentOutOfRangeException(nameof(how), how, "no such case"),
        };
    }

    /// <summary>The token's own payload and signature under another header.</summary>
    private static string WithHeader(string token, JsonObject header)
    {
        var parts = token.Split('.');
        return $"{System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(header.ToJsonString()))}.{parts[1]}.{parts[2]}";
    }

    /// <summary>The token's header and signature over a payload whose role was raised.</summary>
    private static string Tamper(string token, string tenant)
    {
        var parts = token.Split('.');
        var claims = RawTokens.Claims(tenant, role: "operator");
        return $"{parts[0]}.{System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(claims.ToJsonString()))}.{parts[2]}";
    }
}

using System.Net;
using System.Security.Claims;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Autonomy.Gateway.Tests;

/// <summary>The cache of accepted bearer tokens: what it keeps, for how long, and what it never keeps.</summary>
public sealed class ValidatedTokenCacheTests
{
    private static readonly object Parameters = new();
    private static readonly AuthenticationTicket Identity = new(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice")], "test")), "Bearer");

    [Fact]
    public void AnEntryLastsUntilTheTokensExpiryWhenThatComesFirst()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var cache = new ValidatedTokenCache(time, TimeSpan.FromMinutes(5), 100);

        cache.Add("t", Identity, time.GetUtcNow().AddMinutes(2), Parameters);
        Assert.Same(Identity, cache.Find("t", Parameters));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(cache.Find("t", Parameters));
        Assert.False(cache.Contains("t"));
    }

    [Fact]
    public void AnEntryLastsAtMostTheMaxAge()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var cache = new ValidatedTokenCache(time, TimeSpan.FromMinutes(5), 100);

        cache.Add("t", Identity, time.GetUtcNow().AddHours(12), Parameters);
        time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.Same(Identity, cache.Find("t", Parameters));

        time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(cache.Find("t", Parameters));
    }

    [Fact]
    public void OtherValidationParametersMissAtOnce()
    {
        var time = new FakeTimeProvider();
        var cache = new ValidatedTokenCache(time, TimeSpan.FromMinutes(5), 100);
        cache.Add("t", Identity, time.GetUtcNow().AddHours(1), Parameters);

        Assert.Null(cache.Find("t", new object()));
        Assert.Null(cache.Find("t", Parameters));
    }

    [Fact]
    public void AnExpiredTokenAndAZeroMaxAgeAreNotKept()
    {
        var time = new FakeTimeProvider();
        var cache = new ValidatedTokenCache(time, TimeSpan.FromMinutes(5), 100);
        cache.Add("old", Identity, time.GetUtcNow(), Parameters);
        var off = new ValidatedTokenCache(time, TimeSpan.Zero, 100);
        off.Add("t", Identity, time.GetUtcNow().AddHours(1), Parameters);

        Assert.False(cache.Contains("old"));
        Assert.Equal(0, off.Count);
    }

    [Fact]
    public void AFullCacheStaysWithinItsCapacity()
    {
        var time = new FakeTimeProvider();
        var cache = new ValidatedTokenCache(time, TimeSpan.FromMinutes(5), 10);

        for (var i = 0; i < 100; i++)
        {
            cache.Add($"t{i}", Identity, time.GetUtcNow().AddHours(1), Parameters);
        }

        Assert.InRange(cache.Count, 1, 10);
        Assert.True(cache.Contains("t99"));
    }
}

/// <summary>The gateway keeps the tokens it accepted and none it refused.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ValidatedTokenCacheGatewayTests(GatewayFactory factory)
{
    [Fact]
    public async Task AnAcceptedTokenIsCachedAndAcceptedAgain()
    {
        var tenant = Tokens.FreshTenant();
        var token = Tokens.Admin(tenant);
        var cache = factory.Services.GetRequiredService<ValidatedTokenCache>();

        await (await factory.Client(token).GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.True(cache.Contains(token));
        await (await factory.Client(token).GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);

        // A cached token still carries only its own tenant and roles.
        await (await factory.Client(token).GetAsync($"/v1/tenants/{Tokens.FreshTenant()}/autonomy")).Expect(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task RefusedTokensAreNeverCached()
    {
        var tenant = Tokens.FreshTenant();
        var cache = factory.Services.GetRequiredService<ValidatedTokenCache>();
        string[] refused =
        [
            RawTokens.Hs256(RawTokens.Header(), RawTokens.Claims(tenant), key: "someone-elses-key-0123456789-0123456789"),
            RawTokens.Hs256(RawTokens.Header(), RawTokens.Claims(tenant, sub: "system")),
            RawTokens.Unsigned(RawTokens.Claims(tenant)),
            MintTokenCommand.Mint(GatewayFactory.Auth, tenant, ["admin"], "alice", TimeSpan.FromHours(1), DateTimeOffset.UtcNow.AddHours(-3)),
        ];

        foreach (var token in refused)
        {
            for (var i = 0; i < 2; i++)
            {
                await (await factory.Client(token).GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.Unauthorized);
            }

            Assert.False(cache.Contains(token));
        }
    }
}

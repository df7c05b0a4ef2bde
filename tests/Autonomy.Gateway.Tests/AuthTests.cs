using System.Net;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

public abstract class AuthTestsBase(GatewayFactory factory)
{
    [Fact]
    public async Task MissingTokenIs401ProblemDetails()
    {
        var response = await factory.Client(null).GetAsync($"/v1/tenants/{Tokens.FreshTenant()}/autonomy");

        var problem = await response.Expect(HttpStatusCode.Unauthorized);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bearer", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenSignedWithAnotherKeyIs401()
    {
        var tenant = Tokens.FreshTenant();
        var forged = MintTokenCommand.Mint(
            new AuthOptions { SigningKey = "someone-elses-key-0123456789-0123456789", Issuer = GatewayFactory.Auth.Issuer, Audience = GatewayFactory.Auth.Audience },
            tenant, ["admin"], "mallory", TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

        var response = await factory.Client(forged).GetAsync($"/v1/tenants/{tenant}/autonomy");

        await response.Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ExpiredTokenIs401()
    {
        var tenant = Tokens.FreshTenant();
        var expired = MintTokenCommand.Mint(GatewayFactory.Auth, tenant, ["admin"], "alice", TimeSpan.FromHours(1), DateTimeOffset.UtcNow.AddHours(-3));

        var response = await factory.Client(expired).GetAsync($"/v1/tenants/{tenant}/autonomy");

        await response.Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task GarbageTokenIs401()
    {
        var response = await factory.Client("not-a-jwt").GetAsync($"/v1/tenants/{Tokens.FreshTenant()}/autonomy");

        await response.Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnotherTenantsTokenIs403AndChangesNothing()
    {
        var tenant = Tokens.FreshTenant();
        var other = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Admin(other)).PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":"AUTO_EXECUTE"}""");

        var problem = await response.Expect(HttpStatusCode.Forbidden);
        Assert.Contains(other, (string?)problem["detail"], StringComparison.Ordinal);
        var autonomy = await (await factory.Client(Tokens.Admin(tenant)).GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Equal(0, (long?)autonomy["configVersion"]);
    }

    [Fact]
    public async Task IngestMayNotSetModes()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Ingest(tenant)).PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":"AUTO_EXECUTE"}""");

        var problem = await response.Expect(HttpStatusCode.Forbidden);
        Assert.Contains("admin", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SellerMayNotReadTheLedger()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Seller(tenant, "seller-1")).GetAsync($"/v1/tenants/{tenant}/ledger");

        await response.Expect(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AuditorMayNotChangeConfiguration()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Auditor(tenant)).PutJson($"/v1/tenants/{tenant}/kill-switches/all", """{"engaged":true}""");

        await response.Expect(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task SellerMayNotReadAnotherSellersNeedsInput()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Seller(tenant, "seller-1")).GetAsync($"/v1/tenants/{tenant}/sellers/seller-2/needs-input");

        var problem = await response.Expect(HttpStatusCode.Forbidden);
        Assert.Contains("sellerId", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SellerReadsItsOwnNeedsInput()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Seller(tenant, "seller-1")).GetAsync($"/v1/tenants/{tenant}/sellers/seller-1/needs-input");

        var page = await response.Expect(HttpStatusCode.OK);
        Assert.Empty(page["items"]!.AsArray());
        Assert.True(page.AsObject().ContainsKey("nextCursor"));
    }

    [Fact]
    public async Task SellerMayReadAutonomyButNotChangeIt()
    {
        var tenant = Tokens.FreshTenant();
        var seller = factory.Client(Tokens.Seller(tenant, "seller-1"));

        var read = await seller.GetAsync($"/v1/tenants/{tenant}/autonomy");
        var write = await seller.PutJson($"/v1/tenants/{tenant}/kill-switches/all", """{"engaged":false}""");

        var autonomy = await read.Expect(HttpStatusCode.OK);
        Assert.NotNull(autonomy["killSwitches"]?["all"]);
        await write.Expect(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task RoleClaimAsAStringIsAccepted()
    {
        var tenant = Tokens.FreshTenant();
        var token = Tokens.For(tenant, "alice", "admin");
        Assert.Contains("\"role\":\"admin\"", Payload(token), StringComparison.Ordinal);

        var response = await factory.Client(token).PutJson($"/v1/tenants/{tenant}/autonomy/modes/LOG_NOTE", """{"mode":"PROPOSE_ONLY"}""");

        var mode = await response.Expect(HttpStatusCode.OK);
        Assert.Equal("PROPOSE_ONLY", (string?)mode["mode"]);
    }

    [Fact]
    public async Task RoleClaimAsAnArrayGrantsEveryRole()
    {
        var tenant = Tokens.FreshTenant();
        var token = Tokens.For(tenant, "alice", "seller", "admin");
        Assert.Contains("\"role\":[\"seller\",\"admin\"]", Payload(token), StringComparison.Ordinal);
        var client = factory.Client(token);

        var admin = await client.PutJson($"/v1/tenants/{tenant}/autonomy/modes/LOG_NOTE", """{"mode":"DISABLED"}""");
        var ownQueue = await client.GetAsync($"/v1/tenants/{tenant}/sellers/alice/needs-input");

        await admin.Expect(HttpStatusCode.OK);
        await ownQueue.Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task PlatformKillSwitchNeedsTheOperatorRole()
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Admin(tenant)).PutJson("/v1/platform/kill-switch", """{"engaged":true,"reason":"no"}""");

        await response.Expect(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task OperatorEngagesAndReleasesThePlatformKillSwitch()
    {
        var client = factory.Client(Tokens.For(null, "ops-1", "operator"));
        try
        {
            var engaged = await (await client.PutJson("/v1/platform/kill-switch", """{"engaged":true,"reason":"incident 42"}""")).Expect(HttpStatusCode.OK);
            Assert.True((bool?)engaged["engaged"]);
            Assert.Equal("incident 42", (string?)engaged["reason"]);
            var read = await (await client.GetAsync("/v1/platform/kill-switch")).Expect(HttpStatusCode.OK);
            Assert.True((bool?)read["engaged"]);
        }
        finally
        {
            await (await client.PutJson("/v1/platform/kill-switch", """{"engaged":false}""")).Expect(HttpStatusCode.OK);
        }
    }

    private static string Payload(string token)
    {
        var part = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=');
        return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(part));
    }
}

[Collection(GatewayCollection.Name)]
public sealed class AuthTests(GatewayFactory factory) : AuthTestsBase(factory);

[Collection(ClusterGatewayCollection.Name)]
public sealed class AuthTestsInClusterMode(ClusterGatewayFactory factory) : AuthTestsBase(factory);

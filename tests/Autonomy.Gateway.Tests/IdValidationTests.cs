using System.Net;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>Ids made only of dots mean "here" and "up" wherever an id becomes a path: refused as 400 naming the field.</summary>
[Collection(GatewayCollection.Name)]
public sealed class IdValidationTests(GatewayFactory factory)
{
    public static TheoryData<string> Dots() => [".", "..", "...", "...."];

    [Theory]
    [MemberData(nameof(Dots))]
    public async Task AnIdOfOnlyDotsIs400NamingTheField(string dots)
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor", "ingest"));

        await (await admin.PostJson($"/v1/tenants/{tenant}/accounts/acc-1/signals",
            $$"""{"signals":[{"id":"{{dots}}","type":"EMAIL_REPLY_RECEIVED","occurredAt":"2026-01-05T10:00:00Z"}]}""")).ExpectValidationProblem("signals[0].id");
        await (await admin.PutJson($"/v1/tenants/{tenant}/accounts/acc-1", $$"""{"ownerId":"{{dots}}"}""")).ExpectValidationProblem("ownerId");
        await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?accountId={dots}")).ExpectValidationProblem("accountId");
        await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?runId={dots}")).ExpectValidationProblem("runId");
        await (await admin.PostJson($"/v1/tenants/{tenant}/policy/evaluate", $$"""{"accountId":"{{dots}}"}""")).ExpectValidationProblem("accountId");
    }

    [Fact]
    public async Task APathSegmentOfThreeDotsIs400NamingIt()
    {
        // "." and ".." path segments are folded away by every HTTP client before they are sent; "..." is not.
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));

        await (await admin.GetAsync($"/v1/tenants/{tenant}/accounts/...")).ExpectValidationProblem("accountId");
        await (await admin.GetAsync($"/v1/tenants/{tenant}/sellers/.../timeline")).ExpectValidationProblem("sellerId");
        await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger/runs/.../explanation")).ExpectValidationProblem("runId");
    }

    [Fact]
    public async Task IdsWithDotsAndSomethingElseStayValid()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));

        var accepted = await (await ingest.PostJson($"/v1/tenants/{tenant}/accounts/acc.1/signals",
            """{"signals":[{"id":"..a","type":"EMAIL_REPLY_RECEIVED","occurredAt":"2026-01-05T10:00:00Z"}]}""")).Expect(HttpStatusCode.Accepted);

        Assert.Equal(1, (int?)accepted["accepted"]);
    }
}

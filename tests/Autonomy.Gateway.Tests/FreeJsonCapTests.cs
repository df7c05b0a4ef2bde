using System.Net;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>Free-form JSON (posture, signal attributes, action parameters) is capped in size and depth, and a 400 names the field.</summary>
[Collection(GatewayCollection.Name)]
public sealed class FreeJsonCapTests(GatewayFactory factory)
{
    /// <summary>A JSON object whose compact form is <paramref name="bytes"/> long.</summary>
    private static string Sized(int bytes) => $$"""{"x":"{{new string('a', bytes - 8)}}"}""";

    /// <summary>A JSON object nested <paramref name="depth"/> levels deep.</summary>
    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1);

    public static TheoryData<string> TooMuch() => [Sized(Validation.MaxFreeJsonBytes + 1), Nested(Validation.MaxFreeJsonDepth + 1)];

    [Theory]
    [MemberData(nameof(TooMuch))]
    public async Task PostureOverTheCapIs400NamingPosture(string json)
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));

        await (await ingest.PutJson($"/v1/tenants/{tenant}/accounts/acc-1", $$"""{"ownerId":"seller-1","posture":{{json}}}""")).ExpectValidationProblem("posture");

        // Nothing was stored: the account was never created.
        await (await factory.Client(Tokens.Admin(tenant)).GetAsync($"/v1/tenants/{tenant}/accounts/acc-1")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PostureAtTheCapIsAccepted()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));

        await (await ingest.PutJson($"/v1/tenants/{tenant}/accounts/acc-1", $$"""{"posture":{{Sized(Validation.MaxFreeJsonBytes)}}}""")).Expect(HttpStatusCode.OK);
        await (await ingest.PutJson($"/v1/tenants/{tenant}/accounts/acc-2", $$"""{"posture":{{Nested(Validation.MaxFreeJsonDepth)}}}""")).Expect(HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(TooMuch))]
    public async Task SignalAttributesOverTheCapAre400NamingTheSignalAndNothingIsAccepted(string json)
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));

        var response = await ingest.PostJson(
            $"/v1/tenants/{tenant}/accounts/acc-1/signals",
            $$$"""{"signals":[{"id":"s-1","type":"WEBSITE_VISIT","attributes":{}},{"id":"s-2","type":"WEBSITE_VISIT","attributes":{{{json}}}}]}""");

        await response.ExpectValidationProblem("signals[1].attributes");
        var retry = await (await ingest.PostJson(
            $"/v1/tenants/{tenant}/accounts/acc-1/signals", """{"signals":[{"id":"s-1","type":"WEBSITE_VISIT","attributes":{}}]}""")).Expect(HttpStatusCode.Accepted);
        Assert.Equal(1, (int?)retry["accepted"]);
    }

    [Theory]
    [MemberData(nameof(TooMuch))]
    public async Task PlaybookParametersOverTheCapAre400NamingTheRuleAction(string json)
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Admin(tenant)).PutJson(
            $"/v1/tenants/{tenant}/playbook",
            $$"""{"rules":[{"when":{"signalType":"WEBSITE_VISIT"},"propose":[{"actionType":"CREATE_TASK","parameters":{{json}},"confidence":0.5}]}]}""");

        await response.ExpectValidationProblem("rules[0].propose[0].parameters");
    }

    [Theory]
    [MemberData(nameof(TooMuch))]
    public async Task EditedParametersOverTheCapAre400NamingParameters(string json)
    {
        var tenant = Tokens.FreshTenant();

        var response = await factory.Client(Tokens.Admin(tenant)).PostJson(
            $"/v1/tenants/{tenant}/proposals/p-1/edit", $$"""{"argsDigest":"sha256:00","parameters":{{json}}}""");

        await response.ExpectValidationProblem("parameters");
    }
}

using System.Net;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// The webhook signing secret over HTTP: generated and shown once by a rotation, set by choice, never in a GET, a history
/// or the ledger; two sign during a rotation and the previous one can be removed. And the executor URL is for admins only.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class WebhookSigningApiTests(GatewayFactory factory)
{
    private const string Chosen = "whsec_c2VjcmV0LWNob3Nlbi1ieS10aGUtdGVuYW50LTAxMjM0NTY3";

    [Fact]
    public async Task ASecretIsShownOnceByItsRotationAndNeverAgain()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        var path = $"/v1/tenants/{tenant}/webhooks/signing-secret";

        var none = await (await admin.GetAsync(path)).Expect(HttpStatusCode.OK);
        var generated = await (await admin.PostAsync(path, null)).Expect(HttpStatusCode.OK);
        var chosen = await (await admin.PutJson(path, $$"""{"secret":"{{Chosen}}"}""")).Expect(HttpStatusCode.OK);
        var during = await (await admin.GetAsync(path)).Expect(HttpStatusCode.OK);

        Assert.False((bool?)none["signingSecretSet"]);
        var secret = (string?)generated["secret"];
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.True((bool?)generated["signingSecretSet"]);
        Assert.Null(chosen["secret"]);
        var ids = during["secrets"]!.AsArray().Select(s => ((string?)s!["id"], (bool?)s["current"])).ToList();
        Assert.Equal(2, ids.Count);
        Assert.Equal((string?)generated["secrets"]![0]!["id"], ids[1].Item1);
        Assert.Equal((true, false), (ids[0].Item2, ids[1].Item2));
        Assert.NotNull((string?)during["secrets"]![1]!["retiresAt"]);

        var after = await (await admin.DeleteAsync(path + "/previous")).Expect(HttpStatusCode.OK);
        Assert.Single(after["secrets"]!.AsArray());

        var history = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy/history")).Expect(HttpStatusCode.OK);
        Assert.Contains(history["items"]!.AsArray(), c => (string?)c!["kind"] == "webhook-signing-secret");
        var ledger = await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger/export")).Content.ReadAsStringAsync();
        foreach (var text in new[] { none.ToJsonString(), chosen.ToJsonString(), during.ToJsonString(), after.ToJsonString(), history.ToJsonString(), ledger })
        {
            Assert.DoesNotContain(secret![6..], text, StringComparison.Ordinal);
            Assert.DoesNotContain(Chosen[6..], text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"secret":"not-a-secret"}""")]
    [InlineData("""{"secret":"whsec_c2hvcnQ="}""")]
    [InlineData("""{"secret":"whsec_!!!!"}""")]
    public async Task ABadSecretIs400NamingTheField(string body)
    {
        var tenant = Tokens.FreshTenant();
        await (await factory.Client(Tokens.Admin(tenant)).PutJson($"/v1/tenants/{tenant}/webhooks/signing-secret", body)).ExpectValidationProblem("secret");
    }

    [Fact]
    public async Task OnlyAnAdminTouchesTheSigningSecret()
    {
        var tenant = Tokens.FreshTenant();
        var path = $"/v1/tenants/{tenant}/webhooks/signing-secret";
        foreach (var token in new[] { Tokens.Seller(tenant, "seller-1"), Tokens.Auditor(tenant), Tokens.Ingest(tenant) })
        {
            var client = factory.Client(token);
            await (await client.GetAsync(path)).Expect(HttpStatusCode.Forbidden);
            await (await client.PostAsync(path, null)).Expect(HttpStatusCode.Forbidden);
        }
    }

    [Fact]
    public async Task OnlyAnAdminSeesTheExecutorUrl()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        await (await admin.PutJson($"/v1/tenants/{tenant}/executor", """{"webhookUrl":"https://hooks.example.com/autonomy?token=receiver-token"}""")).Expect(HttpStatusCode.OK);

        var asAdmin = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        var asSeller = await (await factory.Client(Tokens.Seller(tenant, "seller-1")).GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);

        Assert.Equal("https://hooks.example.com/autonomy?token=receiver-token", (string?)asAdmin["executor"]!["webhookUrl"]);
        Assert.Null((string?)asSeller["executor"]!["webhookUrl"]);
        Assert.True((bool?)asSeller["executor"]!["webhookUrlSet"]);
        Assert.DoesNotContain("receiver-token", asSeller.ToJsonString(), StringComparison.Ordinal);
    }
}

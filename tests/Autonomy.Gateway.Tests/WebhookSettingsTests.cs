using System.Net;
using Autonomy.Gateway.Tests.Support;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// Webhook URLs (tenant executor, seller digest) may not point at loopback, link-local or private networks unless
/// the operator allows it; a delivery must end before Orleans' response timeout.
/// </summary>
public sealed class WebhookSettingsTests
{
    private static readonly Dictionary<string, string?> Strict = new() { ["Autonomy:Webhooks:AllowPrivateNetworks"] = "false" };

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://[::ffff:10.0.0.7]/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    public async Task PrivateWebhookUrlsAre400NamingTheFieldAndChangeNothing(string url)
    {
        await using var factory = new CustomGatewayFactory(Strict);
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var executor = await admin.PutJson($"/v1/tenants/{tenant}/executor", $$"""{"webhookUrl":"{{url}}","webhookActionTypes":["SEND_EMAIL"]}""");
        var digest = await admin.PutJson($"/v1/tenants/{tenant}/sellers/seller-1/digest-settings", $$"""{"enabled":true,"webhookUrl":"{{url}}"}""");

        var problem = await executor.ExpectValidationProblem("webhookUrl");
        Assert.Contains("AllowPrivateNetworks", (string?)problem["detail"], StringComparison.Ordinal);
        await digest.ExpectValidationProblem("webhookUrl");
        var autonomy = await (await admin.GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
        Assert.Null((string?)autonomy["executor"]?["webhookUrl"]);
        var settings = await (await admin.GetAsync($"/v1/tenants/{tenant}/sellers/seller-1/digest-settings")).Expect(HttpStatusCode.OK);
        Assert.Null((string?)settings["webhookUrl"]);
    }

    [Fact]
    public async Task EveryUrlThatCarriesASecretOrASignatureMustBeHttpsUnlessPrivateNetworksAreAllowed()
    {
        await using var factory = new CustomGatewayFactory(new Dictionary<string, string?>
        {
            ["Autonomy:Webhooks:AllowPrivateNetworks"] = "false",
            ["Autonomy:Chat:AllowPrivateNetworks"] = "false",
        });
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        const string Plain = "http://hooks.example.com/autonomy";

        var problems = new[]
        {
            (await admin.PutJson($"/v1/tenants/{tenant}/executor", $$"""{"webhookUrl":"{{Plain}}"}""")).ExpectValidationProblem("webhookUrl"),
            (await admin.PutJson($"/v1/tenants/{tenant}/sellers/seller-1/digest-settings", $$"""{"enabled":true,"webhookUrl":"{{Plain}}"}""")).ExpectValidationProblem("webhookUrl"),
            (await admin.PutJson($"/v1/tenants/{tenant}/ledger/anchor", $$"""{"url":"{{Plain}}"}""")).ExpectValidationProblem("url"),
            (await admin.PutJson($"/v1/tenants/{tenant}/connectors/crm", """{"kind":"HTTP_JSON","endpoint":"http://crm.example.com/{accountId}","authHeader":"Authorization","secret":"Bearer s","mapping":{"id":"id","type":"t"}}""")).ExpectValidationProblem("endpoint"),
            (await admin.PutJson($"/v1/tenants/{tenant}/engine", """{"kind":"chat","chat":{"baseUrl":"http://llm.example.com/v1","model":"m","apiKey":"sk-x"}}""")).ExpectValidationProblem("chat.baseUrl"),
        };
        foreach (var problem in await Task.WhenAll(problems))
        {
            Assert.Contains("https", problem.ToJsonString(), StringComparison.Ordinal);
        }

        // Without a secret a connector or a chat engine may still use http.
        await (await admin.PutJson($"/v1/tenants/{tenant}/connectors/crm", """{"kind":"HTTP_JSON","endpoint":"http://crm.example.com/{accountId}","mapping":{"id":"id","type":"t"}}""")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task PublicWebhookUrlsAreAcceptedAndPrivateOnesWhenAllowed()
    {
        await using var strict = new CustomGatewayFactory(Strict);
        var tenant = Tokens.FreshTenant();

        await (await strict.Client(Tokens.Admin(tenant)).PutJson($"/v1/tenants/{tenant}/executor", """{"webhookUrl":"https://hooks.example.com/autonomy"}""")).Expect(HttpStatusCode.OK);

        await using var allowing = new CustomGatewayFactory(new Dictionary<string, string?> { ["Autonomy:Webhooks:AllowPrivateNetworks"] = "true" });
        await (await allowing.Client(Tokens.Admin(tenant)).PutJson($"/v1/tenants/{tenant}/executor", """{"webhookUrl":"http://127.0.0.1:8080/hook"}""")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AWebhookTimeoutNotBelowOrleansResponseTimeoutStopsTheStartNamingBothSettings()
    {
        await using var factory = new CustomGatewayFactory(new Dictionary<string, string?>
        {
            ["Autonomy:Webhooks:TotalTimeout"] = "00:00:45",
            ["Orleans:Messaging:ResponseTimeout"] = "00:00:30",
        });

        var thrown = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        var failure = Assert.IsType<OptionsValidationException>(thrown is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[0] : thrown);
        Assert.Contains("Autonomy:Webhooks:TotalTimeout", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Orleans:Messaging:ResponseTimeout", failure.Message, StringComparison.Ordinal);
    }
}

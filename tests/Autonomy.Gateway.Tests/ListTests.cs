using System.Net;
using Autonomy.Gateway.Apis;
using Autonomy.Gateway.Tests.Support;
using Autonomy.Ledger;
using Microsoft.Extensions.DependencyInjection;

namespace Autonomy.Gateway.Tests;

/// <summary>Every list endpoint takes the same <c>limit</c>: 1 to <see cref="Lists.MaxLimit"/>, larger clamped, the rest a 400 naming it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ListTests(GatewayFactory factory)
{
    /// <summary>Every list endpoint, as a path under the tenant, read by a token that may read it.</summary>
    public static TheoryData<string> ListPaths() =>
    [
        "ledger",
        "sellers/seller-1/needs-input",
        "sellers/seller-1/timeline",
        "autonomy/history",
        "actions/catalog",
        "triggers",
    ];

    [Theory]
    [MemberData(nameof(ListPaths))]
    public async Task LimitAboveTheMaximumIsClampedNotRefused(string path)
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));

        foreach (var limit in new[] { "501", "100000", "99999999999999999999999999" })
        {
            var body = await (await admin.GetAsync($"/v1/tenants/{tenant}/{path}?limit={limit}")).Expect(HttpStatusCode.OK);
            Assert.True(body["items"]!.AsArray().Count <= Lists.MaxLimit);
        }
    }

    [Theory]
    [MemberData(nameof(ListPaths))]
    public async Task ZeroNegativeOrNonNumericLimitIs400NamingLimit(string path)
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));

        foreach (var limit in new[] { "0", "-1", "ten", "1.5", "" })
        {
            var response = await admin.GetAsync($"/v1/tenants/{tenant}/{path}?limit={limit}");
            if (limit.Length == 0 && response.StatusCode == HttpStatusCode.OK)
            {
                continue; // "?limit=" binds as absent: the default applies
            }

            await response.ExpectValidationProblem("limit");
        }
    }

    [Theory]
    [MemberData(nameof(ListPaths))]
    public async Task AGarbageCursorIs400NamingCursor(string path)
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));

        foreach (var cursor in new[] { "abc", "not%20a%20cursor", "-1", "%2F%2F%2F%2F", "99999999999999999999", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "%00" })
        {
            var response = await admin.GetAsync($"/v1/tenants/{tenant}/{path}?cursor={cursor}");

            var problem = await response.ExpectValidationProblem("cursor");
            Assert.Contains("nextCursor", (string?)problem["detail"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheLedgersOwnCursorWalksItsEntries()
    {
        var tenant = Tokens.FreshTenant();
        var stream = new LedgerStream(factory.Services.GetRequiredService<ILedger>(), TimeProvider.System, tenant, $"test/{tenant}");
        await stream.InitializeAsync();
        await stream.AppendAsync([.. Enumerable.Range(0, 5).Select(i => new LedgerDraft(LedgerTypes.ConfigChanged, null, "test", new { i }))]);
        var auditor = factory.Client(Tokens.Auditor(tenant));

        var first = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger?limit=3")).Expect(HttpStatusCode.OK);
        var second = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger?limit=3&cursor={Uri.EscapeDataString((string)first["nextCursor"]!)}")).Expect(HttpStatusCode.OK);

        Assert.Equal(3, first["items"]!.AsArray().Count);
        Assert.Equal(2, second["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task TheLedgerReturnsAtMostTheMaximumWhenMoreIsAskedFor()
    {
        var tenant = Tokens.FreshTenant();
        var stream = new LedgerStream(factory.Services.GetRequiredService<ILedger>(), TimeProvider.System, tenant, $"test/{tenant}");
        await stream.InitializeAsync();
        await stream.AppendAsync([.. Enumerable.Range(0, Lists.MaxLimit + 20).Select(i => new LedgerDraft(LedgerTypes.ConfigChanged, null, "test", new { i }))]);

        var auditor = factory.Client(Tokens.Auditor(tenant));
        var page = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger?limit=100000")).Expect(HttpStatusCode.OK);
        Assert.Equal(Lists.MaxLimit, page["items"]!.AsArray().Count);
        Assert.NotNull((string?)page["nextCursor"]);

        var defaultPage = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger")).Expect(HttpStatusCode.OK);
        Assert.Equal(Lists.DefaultLimit, defaultPage["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task AbsentLimitIsTheDefaultAndTheCursorWalksAWholeList()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));

        var all = await (await admin.GetAsync($"/v1/tenants/{tenant}/actions/catalog")).Expect(HttpStatusCode.OK);
        var expected = all["items"]!.AsArray().Select(i => (string?)i!["actionType"]).ToList();
        Assert.Null((string?)all["nextCursor"]);

        var walked = new List<string?>();
        string? cursor = null;
        do
        {
            var page = await (await admin.GetAsync($"/v1/tenants/{tenant}/actions/catalog?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"))).Expect(HttpStatusCode.OK);
            var items = page["items"]!.AsArray();
            Assert.InRange(items.Count, 1, 2);
            walked.AddRange(items.Select(i => (string?)i!["actionType"]));
            cursor = (string?)page["nextCursor"];
        }
        while (cursor is not null);

        Assert.Equal(expected, walked);
        await (await admin.GetAsync($"/v1/tenants/{tenant}/actions/catalog?cursor=abc")).ExpectValidationProblem("cursor");
    }
}

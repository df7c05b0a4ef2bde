using System.Net;
using System.Text.Json.Nodes;

namespace Autonomy.Browser.Tests.Support;

/// <summary>
/// A fresh tenant set up through the API as the README's walkthrough does: CREATE_TASK runs on its own, SEND_EMAIL
/// waits for a seller, and a signal type whose trigger fires at once.
/// </summary>
public sealed class Tenant
{
    public const string Signal = "TEST_INSTANT";

    private const string Playbook = """
        {"rules":[{"when":{"signalType":"TEST_INSTANT"},
                   "propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Prepare renewal"},"confidence":0.9},
                              {"actionType":"SEND_EMAIL","parameters":{"template":"renewal-checkin"},"confidence":0.7}]}],
         "triggers":[{"type":"TEST_INSTANT","debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}]}
        """;

    private Tenant(ControlCenterFixture fixture, string id)
    {
        Id = id;
        AdminToken = ControlCenterFixture.Token(id, "alice", "admin");
        AuditorToken = ControlCenterFixture.Token(id, "ada", "auditor");
        Admin = fixture.Client(AdminToken);
        Ingest = fixture.Client(ControlCenterFixture.Token(id, "crm", "ingest"));
        _fixture = fixture;
    }

    private readonly ControlCenterFixture _fixture;

    public string Id { get; }

    public string AdminToken { get; }

    public string AuditorToken { get; }

    public HttpClient Admin { get; }

    public HttpClient Ingest { get; }

    public string Path(string rest) => $"/v1/tenants/{Id}/{rest}";

    public static async Task<Tenant> CreateAsync(ControlCenterFixture fixture)
    {
        var t = new Tenant(fixture, "t-" + Guid.NewGuid().ToString("N")[..10]);
        await (await t.Admin.PutJson(t.Path("autonomy/modes/CREATE_TASK"), """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        await (await t.Admin.PutJson(t.Path("autonomy/modes/SEND_EMAIL"), """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        await (await t.Admin.PutJson(t.Path("playbook"), Playbook)).Expect(HttpStatusCode.OK);
        return t;
    }

    public string SellerToken(string seller) => ControlCenterFixture.Token(Id, seller, "seller");

    public HttpClient Seller(string seller) => _fixture.Client(SellerToken(seller));

    public async Task AccountAsync(string account, string owner) =>
        await (await Ingest.PutJson(Path($"accounts/{account}"), $$$"""{"ownerId":"{{{owner}}}","lifecycle":"CUSTOMER","posture":{"intent":0.4}}""")).Expect(HttpStatusCode.OK);

    public async Task SignalAsync(string account) =>
        await (await Ingest.PostJson(Path($"accounts/{account}/signals"), $$"""{"signals":[{"id":"{{Guid.NewGuid():N}}","type":"{{Signal}}","value":0.8}]}""")).Expect(HttpStatusCode.Accepted);

    /// <summary>Waits until the seller's queue holds a proposal for the account and returns it.</summary>
    public async Task<JsonNode> ProposalAsync(string seller, string account)
    {
        var client = Seller(seller);
        return await Eventually.FoundAsync(
            async () => (await (await client.GetAsync(Path($"sellers/{seller}/needs-input"))).Expect(HttpStatusCode.OK))["items"]!.AsArray()
                .FirstOrDefault(p => (string?)p!["accountId"] == account),
            TimeSpan.FromSeconds(30),
            $"a proposal for {account} in {seller}'s queue");
    }

    /// <summary>An account of <paramref name="seller"/> with a signal, once its proposal waits and its task ran.</summary>
    public async Task<JsonNode> AccountWithProposalAsync(string account, string seller)
    {
        await AccountAsync(account, seller);
        await SignalAsync(account);
        return await ProposalAsync(seller, account);
    }
}

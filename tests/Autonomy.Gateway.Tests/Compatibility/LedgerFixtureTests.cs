using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Apis;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests.Compatibility;

/// <summary>
/// A data directory and a ledger export written by the build of 2026-12-07 (before the core moved to an assembly of
/// its own), checked in under tests/Fixtures: the walkthrough, a second account, a rejection, a revert, budget and
/// kill-switch changes, four signed checkpoints. Whatever this build changes inside, it must still read that state,
/// verify that ledger and explain its runs, online and offline.
/// </summary>
public sealed class LedgerFixtureTests : IDisposable
{
    private const string Tenant = "acme";

    private readonly string _fixture = Repository.PathOf("tests/Fixtures/ledger-2026-12-07");

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "autonomy-fixture-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public void TheExportOfAnEarlierBuildVerifiesOfflineWithItsSignatures()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = VerifyExportCommand.Run(
            [VerifyExportCommand.Name, Path.Combine(_fixture, "export.ndjson"), "--key", Path.Combine(_fixture, "state", "checkpoint.key")], output, error);

        Assert.True(exit == 0, output + error.ToString());
        Assert.StartsWith("ok: 42 entries, 42 checkpointed, 4 checkpoints", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDataDirectoryOfAnEarlierBuildVerifiesReplaysAndExplains()
    {
        CopyDirectory(Path.Combine(_fixture, "state"), _dataDirectory);
        await using var gateway = new CustomGatewayFactory(new Dictionary<string, string?>()) { DataDirectory = _dataDirectory };
        using var auditor = gateway.Client(Tokens.For(Tenant, "auditor-1", "admin", "auditor"));

        var verify = await Get(auditor, $"/v1/tenants/{Tenant}/ledger/verify");
        Assert.True(verify["ok"]!.GetValue<bool>(), verify.ToJsonString());
        Assert.True(verify["entries"]!.GetValue<long>() >= 42, verify.ToJsonString());
        Assert.True(verify["checkpoints"]!.GetValue<long>() >= 4, verify.ToJsonString());

        // The account's state and the entries its activation replays from the watermark: the revert, the budget.
        var account = await Get(auditor, $"/v1/tenants/{Tenant}/accounts/acc-42");
        Assert.Equal("seller-1", account["ownerId"]!.GetValue<string>());
        Assert.Equal("CUSTOMER", account["lifecycle"]!.GetValue<string>());
        Assert.Equal(3, account["budgetUse"]!["limit"]!.GetValue<int>());

        var executed = await Get(auditor, $"/v1/tenants/{Tenant}/ledger?type=ACTION_EXECUTED&accountId=acc-42");
        var runId = executed["items"]!.AsArray()[0]!["runId"]!.GetValue<string>();
        var explanation = await Get(auditor, $"/v1/tenants/{Tenant}/ledger/runs/{runId}/explanation");
        var why = explanation["why"]!.AsArray().Select(step => step!["type"]!.GetValue<string>()).ToList();
        Assert.Equal(["TRIGGER_FIRED", "COST_GATE", "DECISION_PROPOSED", "PROPOSALS_RANKED", "POLICY_EVALUATED"], why.Take(5));
        Assert.Contains("ACTION_EXECUTED", why);
        var policy = explanation["policy"]!.AsArray().Select(step => step!["payload"]!["result"]?["policyVersion"]?.GetValue<string>()).ToList();
        Assert.Contains("AutoApprovalPolicyV1@1", policy);
    }

    private static async Task<JsonNode> Get(HttpClient client, string path) => await (await client.GetAsync(path)).Expect(HttpStatusCode.OK);

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}

using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Accounts;

/// <summary>An account whose stream was written before the payloads were typed still activates and replays it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LedgerCompatibilityTests(ClusterFixture fixture)
{
    [Fact]
    public async Task EntriesInTheEarlierShapesAreReplayedAndSettledExecutionsStaySettled()
    {
        var t = new Scenario(fixture.Cluster);
        var stream = new LedgerStream(fixture.Cluster.Ledger, fixture.Cluster.Clock, t.TenantId, $"account/{t.TenantId}/{t.AccountId}");
        var actionId = Ids.Action(t.AccountId, "1-0");
        await stream.AppendAsync(
        [
            new LedgerDraft(LedgerTypes.SignalIngested, null, "upstream", new { signals = new[] { new { id = "old-1", type = "WEBSITE_VISIT", value = 0.7 } }, heat = 0.7, tier = "COLD" }),
            new LedgerDraft(LedgerTypes.KillSwitchChecked, "run_1", "system", new { index = 0, actionId, actionType = "CREATE_TASK", switches = new { platform = false, tenant = false, actionTypes = Array.Empty<string>() }, stopped = false }),
            new LedgerDraft(LedgerTypes.ActionExecuted, "run_1", "system", new { action = new { actionId, runId = "run_1", actionType = "CREATE_TASK", status = "SUCCEEDED" }, executor = "internal", idempotencyKey = actionId }),
        ]);

        var account = await t.Account.UpsertAsync(new AccountUpdate(t.SellerId, "CUSTOMER", null, null), Scenario.Admin);

        Assert.True(account.Heat > 0.5);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionFailed));
        Assert.Equal(0, (await t.Account.IngestSignalsAsync([new SignalInput("old-1", "WEBSITE_VISIT", null, 0.7, null)], Scenario.Ingest)).Accepted);
    }
}

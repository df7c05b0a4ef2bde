using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Accounts;

/// <summary>The per-grain collections that grow with traffic stop at their documented bounds.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BoundsTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster cluster = fixture.Cluster;

    [Fact]
    public async Task ASellersQueueKeepsTheNewestProposalsUpToItsBound()
    {
        var seller = cluster.Grains.GetGrain<ISellerGrain>($"t-{Guid.NewGuid():N}/busy");
        var start = cluster.Clock.GetUtcNow();
        var proposals = Enumerable.Range(0, SellerState.MaxNeedsInput + 5).Select(i => new ProposalView(
            $"p.{i:D5}", "run", "acc", "busy", "CREATE_TASK", "{}", "sha256:x", 0.9, PolicyDecision.RequireApproval, PolicyReason.ModeApprovalRequired,
            "", AutoApprovalPolicyV1.Version, start.AddSeconds(i), start.AddDays(3), false)).ToList();

        foreach (var chunk in proposals.Chunk(500))
        {
            await seller.AddNeedsInputAsync([.. chunk]);
        }

        var first = await seller.GetNeedsInputAsync(1, null);
        var all = new List<ProposalView>();
        for (string? cursor = null; ;)
        {
            var page = await seller.GetNeedsInputAsync(500, cursor);
            all.AddRange(page.Items);
            if ((cursor = page.NextCursor) is null)
            {
                break;
            }
        }

        Assert.Equal(SellerState.MaxNeedsInput, all.Count);
        Assert.Equal(proposals[^1].ProposalId, first.Items[0].ProposalId);
        Assert.DoesNotContain(all, p => p.ProposalId == proposals[0].ProposalId);
    }

    [Fact]
    public async Task AWorkspaceKeepsItsNewestItemsUpToItsBound()
    {
        var workspace = cluster.Grains.GetGrain<IWorkspaceGrain>($"t-{Guid.NewGuid():N}/acc");
        for (var i = 0; i < WorkspaceState.MaxItems + 3; i++)
        {
            await workspace.ApplyAsync($"a.{i:D5}", "LOG_NOTE", "{}");
            cluster.Clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        var items = (await workspace.GetAsync()).Items;
        Assert.Equal(WorkspaceState.MaxItems, items.Length);
        Assert.DoesNotContain(items, i => i.Key == "a.00000");
        Assert.Contains(items, i => i.Key == $"a.{WorkspaceState.MaxItems + 2:D5}");
    }

    [Fact]
    public async Task AFullAccountQueueExpiresItsOldestProposalToMakeRoom()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        for (var i = 0; i < (AccountState.MaxPending / 2) + 1; i++)
        {
            // Eleven minutes apart, so the hourly cap (six runs) never holds one back.
            cluster.Clock.Advance(TimeSpan.FromMinutes(11));
            await t.SignalAsync();
        }

        var account = await t.Account.GetAsync();
        Assert.Equal(AccountState.MaxPending, account.PendingProposals.Length);
        Assert.Equal(AccountState.MaxPending, (await t.Seller.GetNeedsInputAsync(500, null)).Items.Length);
        var expired = await t.LedgerAsync(type: LedgerTypes.ProposalResolved);
        Assert.Equal(2, expired.Length);
        Assert.All(expired, e => Assert.Contains("queue-full", e.Payload, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheTenantSendsItsConfigurationOnlyWhenTheCallersVersionIsStaleButSwitchesAlways()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        var first = await t.Tenant.ReadAsync(t.AccountId, -1);
        Assert.NotNull(first.Configuration);

        await t.Tenant.SetKillSwitchAsync("CREATE_TASK", engaged: true, "drill", Scenario.Admin);
        var switched = await t.Tenant.ReadAsync(t.AccountId, first.ConfigVersion + 1);
        Assert.Null(switched.Configuration);
        Assert.Contains("CREATE_TASK", switched.KillSwitches.ActionTypes);

        var stale = await t.Tenant.ReadAsync(t.AccountId, first.ConfigVersion);
        Assert.NotNull(stale.Configuration);
        Assert.Equal(stale.ConfigVersion, stale.Configuration!.ConfigVersion);
    }

    [Fact]
    public async Task TheTenantKeepsNoHistoryOfItsOwnTheLedgerAnswers()
    {
        var t = new Scenario(cluster);
        await t.Tenant.SetModeAsync("CREATE_TASK", AutonomyModeV1.AutoExecute, Scenario.Admin);
        await t.Tenant.SetKillSwitchAsync("all", engaged: true, "drill", Scenario.Admin);

        var history = await t.Tenant.GetHistoryAsync();

        Assert.Equal(["mode:CREATE_TASK", "kill-switch:all"], history.Select(c => c.Kind));
        Assert.Equal([1L, 2L], history.Select(c => c.Version));
        Assert.All(history, c => Assert.Equal(Scenario.Admin.Id, c.Actor));
        Assert.Contains("APPROVAL_REQUIRED", history[0].Before, StringComparison.Ordinal);
        Assert.Contains("drill", history[1].After, StringComparison.Ordinal);
    }
}

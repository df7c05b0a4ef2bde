using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Ledger;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// Proposals wait with the account's owner: an owner change moves them, and an account without owner keeps them.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ProposalOwnershipTests(ClusterFixture fixture) : SidePathTests(fixture)
{
    [Fact]
    public async Task AnOwnerChangeMovesPendingProposalsToTheNewOwnerAndNoneIsStranded()
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var waiting = await t.NeedsInputAsync();
        Assert.Equal(2, waiting.Length);

        await t.Account.UpsertAsync(new AccountUpdate("seller-2", null, null, null), Scenario.Admin);
        var newOwner = cluster.Grains.GetGrain<Sellers.ISellerGrain>($"{t.TenantId}/seller-2");

        Assert.Empty(await t.NeedsInputAsync());
        var moved = (await newOwner.GetNeedsInputAsync(100, null)).Items;
        Assert.Equal(waiting.Select(p => p.ProposalId).Order(), moved.Select(p => p.ProposalId).Order());
        Assert.All(moved, p => Assert.Equal("seller-2", p.SellerId));
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.ProposalsMoved));

        var task = moved.Single(p => p.ActionType == "CREATE_TASK");
        await t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, new Actor("seller-2", [Actor.Seller]));
        Assert.DoesNotContain((await newOwner.GetNeedsInputAsync(100, null)).Items, p => p.ProposalId == task.ProposalId);
        Assert.Single((await newOwner.GetTimelineAsync(100, null)).Items);
        await Assert.ThrowsAsync<ForbiddenException>(() => t.Account.RejectAsync(moved.Single(p => p.ActionType == "SEND_EMAIL").ProposalId, null, t.SellerActor));
    }

    [Fact]
    public async Task AnAccountWithoutOwnerKeepsItsProposalsOnTheAccountNotInASharedQueue()
    {
        var t = new Scenario(cluster, accountId: "orphan");
        await t.SetUpAsync();
        await t.Account.UpsertAsync(new AccountUpdate(null, "CUSTOMER", null, null), Scenario.Admin);
        var orphan = cluster.Grains.GetGrain<IAccountGrain>(Ids.AccountKey(t.TenantId, "orphan-2"));
        await orphan.UpsertAsync(new AccountUpdate(null, "CUSTOMER", null, null), Scenario.Admin);
        await orphan.IngestSignalsAsync([new SignalInput("o-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
        await orphan.PollAsync();

        Assert.Equal(2, (await orphan.GetAsync()).PendingProposals.Length);
        var unassigned = cluster.Grains.GetGrain<Sellers.ISellerGrain>($"{t.TenantId}/{AccountGrain.Unassigned}");
        Assert.Empty((await unassigned.GetNeedsInputAsync(100, null)).Items);

        await orphan.UpsertAsync(new AccountUpdate("seller-3", null, null, null), Scenario.Admin);
        var owner = cluster.Grains.GetGrain<Sellers.ISellerGrain>($"{t.TenantId}/seller-3");
        Assert.Equal(2, (await owner.GetNeedsInputAsync(100, null)).Items.Length);
    }
}

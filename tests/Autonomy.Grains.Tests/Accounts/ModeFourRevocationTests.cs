using Autonomy.Accounts;
using Autonomy.Ledger;

namespace Autonomy.Tests.Accounts;

/// <summary>Mode 4 holds continuously: an opt-in whose requirements stop holding is revoked, ledgered.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ModeFourRevocationTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;

    [Fact]
    public async Task SwitchingTheOwnersDigestOffRevokesTheOptIn()
    {
        var t = await OptedInAsync();

        await t.Seller.SetDigestSettingsAsync(Sellers.DigestSettings.Default with { Enabled = false }, t.SellerActor);

        Assert.False((await t.Account.GetAsync()).AutonomousSchedules);
        Assert.DoesNotContain(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        var revoked = Assert.Single(await t.LedgerAsync(type: LedgerTypes.ScheduleOptInRevoked));
        Assert.Contains("OWNER_DIGEST_DISABLED", revoked.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangingTheOwnerRevokesTheOptIn()
    {
        var t = await OptedInAsync();

        await t.Account.UpsertAsync(new AccountUpdate("seller-9", null, null, null), Scenario.Admin);

        Assert.False((await t.Account.GetAsync()).AutonomousSchedules);
        Assert.DoesNotContain(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        Assert.Contains("OWNER_CHANGED", Assert.Single(await t.LedgerAsync(type: LedgerTypes.ScheduleOptInRevoked)).Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOptInSurvivesRunsThatASignalStarted()
    {
        var t = await OptedInAsync();

        await t.SignalAsync();

        Assert.True((await t.Account.GetAsync()).AutonomousSchedules);
        Assert.Contains(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ScheduleOptInRevoked));
    }

    [Fact]
    public async Task ARevocationCutShortLeavesTheRestListedAndTheNextActivationFinishesIt()
    {
        var t = await OptedInAsync();
        var second = new Scenario(_cluster, t.TenantId, "acc-2");
        await second.Account.UpsertAsync(new AccountUpdate(t.SellerId, "CUSTOMER", null, null), Scenario.Admin);
        await second.Account.SetAutonomousSchedulesAsync(true, Scenario.Admin);
        _cluster.Hooks.OptInRevocationsLost[t.TenantId] = 1;

        // The first revocation does not reach the tenant: the switch-off fails, and nothing it did not revoke is forgotten.
        await Assert.ThrowsAsync<TimeoutException>(() => t.Seller.SetDigestSettingsAsync(Sellers.DigestSettings.Default with { Enabled = false }, t.SellerActor));
        Assert.False((await t.Seller.GetDigestSettingsAsync()).Enabled);
        Assert.NotEmpty((await t.Tenant.GetAutonomyAsync()).OptedInAccounts);

        // The seller's next activation finishes the revocation.
        await _cluster.Cluster.DeactivateAsync((IAddressable)t.Seller);
        await t.Seller.GetDigestSettingsAsync();
        await Eventually.UntilAsync(async () => (await t.Tenant.GetAutonomyAsync()).OptedInAccounts.IsEmpty, TimeSpan.FromSeconds(10), "the seller's next activation to finish the revocation");

        Assert.Empty((await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        Assert.False((await t.Account.GetAsync()).AutonomousSchedules);
        Assert.False((await second.Account.GetAsync()).AutonomousSchedules);
    }

    private async Task<Scenario> OptedInAsync()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.Seller.SetDigestSettingsAsync(Sellers.DigestSettings.Default with { Enabled = true }, t.SellerActor);
        await t.Account.SetAutonomousSchedulesAsync(true, Scenario.Admin);
        Assert.Contains(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
        return t;
    }
}

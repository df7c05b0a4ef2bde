using Autonomy.Accounts;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Learning;

[Collection(ClusterCollection.Name)]
public sealed class DecisionTimeLoggingTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;

    [Fact]
    public async Task EveryRankedProposalIsLedgeredWithFeaturesScorePositionAndPropensityUnderThePrior()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();

        await t.SignalAsync();

        var proposed = Assert.Single(await t.LedgerAsync(type: LedgerTypes.DecisionProposed));
        Assert.Equal(RankingModel.Prior, AccountLedger.Read<DecisionProposedPayload>(proposed).Ranking);
        var entry = Assert.Single(await t.LedgerAsync(type: LedgerTypes.ProposalsRanked));
        Assert.Equal(proposed.RunId, entry.RunId);
        var ranked = RankingLedger.Read<ProposalsRankedPayload>(entry);
        Assert.Equal(RankingModel.Prior, ranked.Ranker);
        Assert.Equal(t.SellerId, ranked.SellerId);
        Assert.Equal(t.AccountId, ranked.AccountId);
        Assert.Equal(0, ranked.ExplorationRate);
        Assert.Equal([0, 1], ranked.Proposals.Select(p => p.Position));
        Assert.Equal(["CREATE_TASK", "SEND_EMAIL"], ranked.Proposals.Select(p => p.ActionType));
        Assert.All(ranked.Proposals, p => Assert.Equal(1.0, p.Propensity));
        Assert.All(ranked.Proposals, p => Assert.Equal(p.EngineConfidence, p.Score));
        Assert.All(ranked.Proposals, p => Assert.Null(p.CalibratedConfidence));
        var task = ranked.Proposals[0];
        Assert.Contains("action:CREATE_TASK", task.Features);
        Assert.Contains($"trigger:{Scenario.Instant}", task.Features);
        Assert.Contains($"signal:{Scenario.Instant}", task.Features);
        Assert.Contains($"seller*action:{t.SellerId}|CREATE_TASK", task.Features);
        Assert.Contains("lifecycle:CUSTOMER", task.Features);

        // The proposal in the queue carries the same decision-time ranking.
        var queued = (await t.NeedsInputAsync()).Single(p => p.ActionType == "SEND_EMAIL");
        Assert.Equal(1, queued.Ranking!.Position);
        Assert.Equal(ranked.Proposals[1].Features.ToArray(), queued.Ranking.Features.ToArray());
    }

    [Fact]
    public async Task WithExplorationOnEachPlaceLogsTheProbabilityItWasShownWith()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        var ranking = _cluster.Grains.GetGrain<IRankingGrain>(t.TenantId);

        await ranking.SetExplorationAsync(0.5, Scenario.Admin);
        await t.SignalAsync();

        var ranked = RankingLedger.Read<ProposalsRankedPayload>(Assert.Single(await t.LedgerAsync(type: LedgerTypes.ProposalsRanked)));
        Assert.Equal(0.5, ranked.ExplorationRate);
        // Two proposals, ε = 0.5: the greedy top keeps its place with 1 - ε + ε/2 = 0.75, the other gets it with 0.25.
        var top = ranked.Proposals[0];
        Assert.Equal(top.ActionType == "CREATE_TASK" ? 0.75 : 0.25, top.Propensity, 9);
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.RankingExplorationChanged));
        await Assert.ThrowsAsync<Autonomy.Common.ValidationFailedException>(() => ranking.SetExplorationAsync(0.9, Scenario.Admin));
    }
}

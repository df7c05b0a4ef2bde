using Autonomy.Accounts;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Learning;

[Collection(ClusterCollection.Name)]
public sealed class DecisionTimeLoggingTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster cluster = fixture.Cluster;

    [Fact]
    public async Task EveryRankedProposalIsLedgeredWithFeaturesScorePositionAndPropensityUnderThePrior()
    {
        var t = new Scenario(cluster);
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
}

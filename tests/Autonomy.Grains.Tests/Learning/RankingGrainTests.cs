using System.Collections.Immutable;
using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Decisions;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Tests.Support;
using Autonomy.Triggers;

namespace Autonomy.Tests.Learning;

/// <summary>
/// Two sellers with opposite tastes answer their queues through the real account flow; the ranking grain learns
/// from the ledger, refuses what its gate does not pass, promotes, rolls back exactly and calibrates nightly once.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RankingGrainTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;

    /// <summary>alice wants drafts and rejects tasks; bob the opposite. The engine proposes both at the same confidence.</summary>
    private sealed class Sellers(AutonomyCluster cluster)
    {
        public string TenantId { get; } = "t-" + Guid.NewGuid().ToString("N")[..12];

        public static readonly ImmutableDictionary<string, string> Favourite = ImmutableDictionary<string, string>.Empty
            .Add("alice", "DRAFT_EMAIL").Add("bob", "CREATE_TASK");

        public IRankingGrain Ranking => cluster.Grains.GetGrain<IRankingGrain>(TenantId);

        public IAccountGrain Account(string seller) => cluster.Grains.GetGrain<IAccountGrain>(Ids.AccountKey(TenantId, $"acc-{seller}"));

        public async Task SetUpAsync()
        {
            await cluster.Grains.GetGrain<Tenants.ITenantGrain>(TenantId).SetPlaybookAsync(
                new Playbook([new PlaybookRule(Scenario.Instant, null, [Scenario.Proposal("CREATE_TASK", """{"title":"Call back"}""", 0.8), Scenario.Proposal("DRAFT_EMAIL", """{"template":"follow-up"}""", 0.8)])]),
                [TriggerRegistry.Signal(Scenario.Instant, 0, 0, 0)],
                Scenario.Admin);
            foreach (var seller in Favourite.Keys)
            {
                await Account(seller).UpsertAsync(new AccountUpdate(seller, "CUSTOMER", null, null), Scenario.Admin);
            }
        }

        /// <summary>One run per seller; each approves its favourite and rejects the other.</summary>
        public async Task AnswerRoundsAsync(int rounds)
        {
            for (var r = 0; r < rounds; r++)
            {
                // Past the hourly cap of runs per account.
                cluster.Clock.Advance(TimeSpan.FromMinutes(12));
                foreach (var (seller, favourite) in Favourite)
                {
                    var account = Account(seller);
                    await account.IngestSignalsAsync([new SignalInput(Guid.NewGuid().ToString("N"), Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
                    await account.PollAsync();
                    var actor = new Actor(seller, [Actor.Seller]);
                    foreach (var p in (await account.GetAsync()).PendingProposals)
                    {
                        if (p.ActionType == favourite)
                        {
                            await account.ApproveAsync(p.ProposalId, p.ArgsDigest, actor);
                        }
                        else
                        {
                            await account.RejectAsync(p.ProposalId, "not for me", actor);
                        }
                    }
                }
            }
        }

        /// <summary>The ranker of each seller's newest run and the action type it put first.</summary>
        public async Task<(string Ranker, string First)> NewestRunAsync(string seller)
        {
            cluster.Clock.Advance(TimeSpan.FromMinutes(12));
            var account = Account(seller);
            await account.IngestSignalsAsync([new SignalInput(Guid.NewGuid().ToString("N"), Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
            await account.PollAsync();
            var page = await cluster.Ledger.QueryAsync(new LedgerQuery(TenantId, AccountId: $"acc-{seller}", Type: LedgerTypes.ProposalsRanked, Limit: 1000));
            var ranked = RankingLedger.Read<ProposalsRankedPayload>(page.Items[^1]);
            return (ranked.Ranker, ranked.Proposals[0].ActionType);
        }
    }

    [Fact]
    public async Task CalibrateLearnsEachSellersFavouriteAndPromotionPutsItFirst()
    {
        var t = new Sellers(_cluster);
        await t.SetUpAsync();
        await t.AnswerRoundsAsync(24);
        Assert.Equal((RankingModel.Prior, "CREATE_TASK"), await t.NewestRunAsync("alice"));

        var candidate = await t.Ranking.CalibrateAsync(Scenario.Admin);

        Assert.Equal("v1", candidate.Version);
        Assert.Equal(RankingStatus.Candidate, candidate.Status);
        Assert.True(candidate.Gate.Passed, string.Join(" ", candidate.Gate.Reasons));
        Assert.True(candidate.Evaluation.CandidateMetrics.PrecisionAt1 > candidate.Evaluation.ActiveMetrics.PrecisionAt1);
        Assert.Equal(RankingModel.Prior, candidate.Evaluation.Active);
        var trained = RankingLedger.Read<RankingCandidateTrainedPayload>(Assert.Single(await Ledger(t.TenantId, LedgerTypes.RankingCandidateTrained)));
        Assert.Equal("manual", trained.Trigger);

        // Every version is kept in the ledger whole: the model read back from its entry is the stored one, weight for weight.
        var stored = await t.Ranking.GetModelAsync("v1");
        Assert.NotNull(trained.Model);
        Assert.Equal((stored.Version, stored.Bias, stored.ConfidenceWeight, stored.TrainedAt), (trained.Model.Version, trained.Model.Bias, trained.Model.ConfidenceWeight, trained.Model.TrainedAt));
        Assert.Equal(stored.Weights.OrderBy(w => w.Key, StringComparer.Ordinal), trained.Model.Weights.OrderBy(w => w.Key, StringComparer.Ordinal));
        Assert.Equal(stored.Calibrations.Keys.Order(StringComparer.Ordinal), trained.Model.Calibrations.Keys.Order(StringComparer.Ordinal));
        Assert.All(stored.Calibrations, c => Assert.Equal(
            (c.Value.Method, c.Value.Slope, c.Value.Offset, c.Value.Mins.ToArray(), c.Value.Maxes.ToArray(), c.Value.Values.ToArray()),
            (trained.Model.Calibrations[c.Key].Method, trained.Model.Calibrations[c.Key].Slope, trained.Model.Calibrations[c.Key].Offset,
             trained.Model.Calibrations[c.Key].Mins.ToArray(), trained.Model.Calibrations[c.Key].Maxes.ToArray(), trained.Model.Calibrations[c.Key].Values.ToArray())));

        // A candidate is shadow only: nothing changes for sellers until it is promoted.
        Assert.Equal(RankingModel.Prior, (await t.NewestRunAsync("alice")).Ranker);
        var promoted = await t.Ranking.PromoteAsync("v1", Scenario.Admin);

        Assert.True(promoted.Active);
        Assert.Equal(("v1", "DRAFT_EMAIL"), await t.NewestRunAsync("alice"));
        Assert.Equal(("v1", "CREATE_TASK"), await t.NewestRunAsync("bob"));
        var change = RankingLedger.Read<RankingModelChangedPayload>(Assert.Single(await Ledger(t.TenantId, LedgerTypes.RankingModelChanged)));
        Assert.Equal(("PROMOTE", null, "v1"), (change.Change, change.From, change.To));
        Assert.True(change.Gate!.Passed);
    }

    [Fact]
    public async Task PromotionIsRefusedWhenTheGateFailsAndNothingChanges()
    {
        var t = new Sellers(_cluster);
        await t.SetUpAsync();
        await t.AnswerRoundsAsync(3);

        var candidate = await t.Ranking.CalibrateAsync(Scenario.Admin);
        var refused = await Assert.ThrowsAsync<ConflictException>(() => t.Ranking.PromoteAsync(candidate.Version, Scenario.Admin));

        Assert.Equal(RankingStatus.Blocked, candidate.Status);
        Assert.Equal("RANKING_GATE_FAILED", refused.Code);
        Assert.Contains("INSUFFICIENT_EVIDENCE", refused.Message, StringComparison.Ordinal);
        Assert.Equal(RankingModel.Prior, (await t.Ranking.GetModelsAsync()).Active);
        Assert.Empty(await Ledger(t.TenantId, LedgerTypes.RankingModelChanged));
        await Assert.ThrowsAsync<NotFoundException>(() => t.Ranking.PromoteAsync("v99", Scenario.Admin));
    }

    [Fact]
    public async Task RollbackRestoresTheExactPreviousRanking()
    {
        var t = new Sellers(_cluster);
        await t.SetUpAsync();
        await t.AnswerRoundsAsync(24);
        await t.Ranking.CalibrateAsync(Scenario.Admin);
        await t.Ranking.PromoteAsync("v1", Scenario.Admin);
        var before = await t.Ranking.GetModelAsync("v1");
        await t.AnswerRoundsAsync(8);
        var v2 = await t.Ranking.CalibrateAsync(Scenario.Admin);
        Assert.Equal("v1", v2.Evaluation.Active);
        await t.Ranking.PromoteAsync("v2", Scenario.Admin);
        Assert.Equal("v2", (await t.NewestRunAsync("alice")).Ranker);

        var rolledBack = await t.Ranking.RollbackAsync("v2", Scenario.Admin);

        var models = await t.Ranking.GetModelsAsync();
        Assert.Equal("v1", models.Active);
        Assert.Equal(RankingStatus.Retired, rolledBack.Status);
        var after = await t.Ranking.GetModelAsync("v1");
        Assert.Equal(before.Bias, after.Bias);
        Assert.Equal(before.Weights.OrderBy(w => w.Key, StringComparer.Ordinal), after.Weights.OrderBy(w => w.Key, StringComparer.Ordinal));
        Assert.Equal(("v1", "DRAFT_EMAIL"), await t.NewestRunAsync("alice"));
        Assert.Equal(["PROMOTE", "PROMOTE", "ROLLBACK"], models.History.Reverse().Select(h => h.Change));
        var changes = (await Ledger(t.TenantId, LedgerTypes.RankingModelChanged)).Select(RankingLedger.Read<RankingModelChangedPayload>).ToList();
        Assert.Equal(("ROLLBACK", "v2", "v1"), (changes[^1].Change, changes[^1].From, changes[^1].To));

        // Only the active version rolls back; rolling v1 back returns to the prior.
        await Assert.ThrowsAsync<ConflictException>(() => t.Ranking.RollbackAsync("v2", Scenario.Admin));
        await t.Ranking.RollbackAsync("v1", Scenario.Admin);
        Assert.Equal(RankingModel.Prior, (await t.NewestRunAsync("alice")).Ranker);
    }

    [Fact]
    public async Task TheNightlyCalibrationIsLedgeredAndRunsOncePerNight()
    {
        var t = new Sellers(_cluster);
        await t.SetUpAsync();
        await t.AnswerRoundsAsync(4);
        var now = _cluster.Clock.GetUtcNow();
        if (now.UtcDateTime.Hour < 2)
        {
            _cluster.Clock.Advance(TimeSpan.FromHours(2 - now.UtcDateTime.Hour));
        }

        var first = await t.Ranking.RunNightlyAsync();
        var second = await t.Ranking.RunNightlyAsync();

        Assert.Equal("v1", first);
        Assert.Null(second);
        var entries = await Ledger(t.TenantId, LedgerTypes.RankingCandidateTrained);
        var payload = RankingLedger.Read<RankingCandidateTrainedPayload>(Assert.Single(entries));
        Assert.Equal("nightly", payload.Trigger);
        Assert.Equal(DateOnly.FromDateTime(_cluster.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), payload.Night);

        _cluster.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal("v2", await t.Ranking.RunNightlyAsync());
        Assert.Equal(2, (await Ledger(t.TenantId, LedgerTypes.RankingCandidateTrained)).Length);
    }

    [Fact]
    public async Task APromotionReordersProposalsButNeverChangesAPolicyResult()
    {
        var t = new Sellers(_cluster);
        await t.SetUpAsync();
        await t.AnswerRoundsAsync(24);
        var before = await PolicyOfNewestRunAsync(t);
        await t.Ranking.CalibrateAsync(Scenario.Admin);
        await t.Ranking.PromoteAsync("v1", Scenario.Admin);

        var after = await PolicyOfNewestRunAsync(t);

        // alice's order flipped (CREATE_TASK first under the prior, DRAFT_EMAIL first under v1) ...
        Assert.Equal(["CREATE_TASK", "DRAFT_EMAIL"], before.Select(p => p.ActionType));
        Assert.Equal(["DRAFT_EMAIL", "CREATE_TASK"], after.Select(p => p.ActionType));
        // ... and each proposal's policy input and result are the same, the engine's raw confidence included.
        foreach (var p in after)
        {
            var same = before.Single(b => b.ActionType == p.ActionType);
            Assert.Equal(same.Result, p.Result);
            Assert.Equal(same.Input.Confidence, p.Input.Confidence);
            Assert.Equal(same.Input.Mode, p.Input.Mode);
        }
    }

    private async Task<List<PolicyEvaluatedPayload>> PolicyOfNewestRunAsync(Sellers t)
    {
        await t.NewestRunAsync("alice");
        var proposed = (await Ledger(t.TenantId, LedgerTypes.DecisionProposed)).Where(e => e.StreamId.EndsWith("/acc-alice", StringComparison.Ordinal)).Last();
        var run = (await _cluster.Ledger.QueryAsync(new LedgerQuery(t.TenantId, RunId: proposed.RunId, Type: LedgerTypes.PolicyEvaluated, Limit: 100))).Items;
        return [.. run.Select(AccountLedger.Read<PolicyEvaluatedPayload>).OrderBy(p => p.Index)];
    }

    [Fact]
    public async Task ANightWithNothingToLearnFromStoresNothing()
    {
        var t = new Sellers(_cluster);
        await t.SetUpAsync();
        var now = _cluster.Clock.GetUtcNow();
        if (now.UtcDateTime.Hour < 2)
        {
            _cluster.Clock.Advance(TimeSpan.FromHours(2 - now.UtcDateTime.Hour));
        }

        Assert.Null(await t.Ranking.RunNightlyAsync());
        Assert.Null(await t.Ranking.RunNightlyAsync());

        var models = await t.Ranking.GetModelsAsync();
        Assert.Empty(models.Versions);
        Assert.NotNull(models.LastNight);
        Assert.Empty(await Ledger(t.TenantId, LedgerTypes.RankingCandidateTrained));
    }

    private async Task<ImmutableArray<LedgerEntry>> Ledger(string tenantId, string type) =>
        [.. (await _cluster.Ledger.QueryAsync(new LedgerQuery(tenantId, Type: type, Limit: 1000))).Items];
}

using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Autonomy.Decisions;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Perception;

namespace Autonomy.Accounts;

/// <summary>
/// The ranking step of a run: the active model (or the prior: the engine's confidence) orders the proposals, and
/// PROPOSALS_RANKED records, per proposal, the features it saw, its score, its place and the probability of that
/// place. The model arrives by version through the tenant's reading and is cached, so a run calls the ranking
/// grain only after a promotion or rollback.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>Orders the engine's proposals with the active ranker; returns them in that order with each one's ranking.</summary>
    private async Task<(ImmutableArray<ProposedAction> Ranked, RunRanking Ranking)> RankAsync(DecisionRun run, AccountState s, ImmutableArray<ProposedAction> proposals)
    {
        var pointer = run.Snapshot.Ranking ?? RankingPointer.Prior;
        var model = await RankingModelAsync(pointer.Version);
        var tier = Heat.At(s.Heat!, run.Now).Tier;
        var signals = run.Window.Signals.Select(x => x.Type).Distinct().Order(StringComparer.Ordinal).ToImmutableArray();
        var items = proposals.Select(p => new SlateItem(
            p.ActionType, RankingFeatures.Of(new RankingContext(p.ActionType, run.TriggerType, signals, tier, s.Lifecycle, s.Posture, SellerId, p.Confidence)), p.Confidence)).ToList();
        var placements = SlateRanking.Rank(model, items, pointer.ExplorationRate, ExplorationRandom(run.RunId));
        var ranker = Ranker.NameOf(model);
        var ranking = new RunRanking(
            ranker, pointer.ExplorationRate,
            [.. placements.Select(p => new ProposalRanking(ranker, items[p.Index].Features, p.Score, p.CalibratedConfidence, p.Position, p.Propensity))],
            [.. placements.Select(p => p.Index)]);
        return ([.. placements.Select(p => proposals[p.Index])], ranking);
    }

    /// <summary>PROPOSALS_RANKED, after DECISION_PROPOSED: the decision-time record the learning dataset joins outcomes to.</summary>
    private void LogRanking(DecisionRun run, ImmutableArray<ProposedAction> ranked, RunRanking r)
    {
        if (ranked.IsEmpty)
        {
            return;
        }

        var entries = r.Proposals.Select((p, i) => new RankedProposalEntry(
            p.Position, r.EngineIndexes[i], ranked[i].ActionType, p.Features, ranked[i].Confidence, p.Score, p.CalibratedConfidence, p.Propensity));
        run.Batch.Add(LedgerTypes.ProposalsRanked, run.RunId, "system", new ProposalsRankedPayload(r.Ranker, AccountId, SellerId, r.ExplorationRate, [.. entries]));
    }

    private async Task<RankingModel?> RankingModelAsync(string? version)
    {
        if (version is null)
        {
            return null;
        }

        if (rankingModel.Version != version)
        {
            rankingModel = (version, await GrainFactory.GetGrain<IRankingGrain>(TenantId).GetModelAsync(version));
        }

        return rankingModel.Model;
    }

    /// <summary>Exploration draws from the run id, so the same run always explores the same way.</summary>
    private static Random ExplorationRandom(string runId) =>
        new(BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(runId)), 0));
}

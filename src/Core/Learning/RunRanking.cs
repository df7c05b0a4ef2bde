using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Autonomy.Decisions;

namespace Autonomy.Learning;

/// <summary>A run's ranking: the ranker, the exploration rate, and each proposal's ranking in display order (with its engine index).</summary>
public sealed record RunRanking(string Ranker, double ExplorationRate, ImmutableArray<ProposalRanking> Proposals, ImmutableArray<int> EngineIndexes)
{
    public ProposalRanking? At(int position) => position < Proposals.Length ? Proposals[position] : null;

    /// <summary>
    /// Orders a run's proposals for display with <paramref name="model"/> (null: the prior, the engine's confidence),
    /// and says per proposal the features it saw (<paramref name="context"/>), its score, its place and the probability
    /// of that place. Exploration draws from the run id, so the same run always explores the same way.
    /// </summary>
    public static (ImmutableArray<ProposedAction> Ranked, RunRanking Ranking) Rank(
        RankingModel? model, double explorationRate, string runId, ImmutableArray<ProposedAction> proposals, Func<ProposedAction, RankingContext> context)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(context);
        var items = proposals.Select(p => new SlateItem(p.ActionType, RankingFeatures.Of(context(p)), p.Confidence)).ToList();
        var placements = SlateRanking.Rank(model, items, explorationRate, new Random(BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(runId)), 0)));
        var ranker = Learning.Ranker.NameOf(model);
        var ranking = new RunRanking(
            ranker, explorationRate,
            [.. placements.Select(p => new ProposalRanking(ranker, items[p.Index].Features, p.Score, p.CalibratedConfidence, p.Position, p.Propensity))],
            [.. placements.Select(p => p.Index)]);
        return ([.. placements.Select(p => proposals[p.Index])], ranking);
    }
}

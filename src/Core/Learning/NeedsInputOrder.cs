using Autonomy.Accounts;

namespace Autonomy.Learning;

/// <summary>
/// The order of a seller's needs-input queue (API.md): the active model's score, highest first, each proposal
/// showing the model's calibrated confidence next to the engine's; without a model, the engine's confidence, then
/// newest. A proposal made before it carried features is scored by its engine confidence.
/// </summary>
public static class NeedsInputOrder
{
    public static IEnumerable<ProposalView> Order(IEnumerable<ProposalView> proposals, RankingModel? model)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        var scored = proposals.Select(p => Rescore(p, model)).ToList();
        return scored
            .OrderByDescending(p => p.Ranking?.Score ?? p.Confidence)
            .ThenByDescending(p => p.Confidence)
            .ThenByDescending(p => p.CreatedAt)
            .ThenByDescending(p => p.ProposalId, StringComparer.Ordinal);
    }

    /// <summary>The proposal as the active ranker sees it now (its decision-time ranking when that was the same ranker).</summary>
    public static ProposalView Rescore(ProposalView p, RankingModel? model)
    {
        ArgumentNullException.ThrowIfNull(p);
        var ranker = Ranker.NameOf(model);
        if (p.Ranking is not { } r || r.Ranker == ranker)
        {
            return p;
        }

        var score = Ranker.Score(model, p.ActionType, r.Features, p.Confidence);
        return p with { Ranking = r with { Ranker = ranker, Score = score.Score, CalibratedConfidence = score.CalibratedConfidence } };
    }
}

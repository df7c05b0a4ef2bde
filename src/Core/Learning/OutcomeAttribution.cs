using Autonomy.Outcomes;

namespace Autonomy.Learning;

/// <summary>What the outcomes of one proposal or action say about the idea: wanted (1) or not (0), and how much that counts.</summary>
public sealed record IdeaLabel(bool Wanted, double Weight, OutcomeV1 DecidedBy);

/// <summary>
/// The taxonomy's attribution rules for learning (OutcomeTaxonomyV1 + EXPIRED). The idea is judged by people and
/// by upstream, never by the executor: EXECUTION_FAILED is the execution's, so an executed idea (approved by a person,
/// or run alone) is labelled the same whether its execution failed or succeeded.
/// </summary>
public static class OutcomeAttribution
{
    /// <summary>The weight of an expiry: the seller did not pick it (a "no" for ranking), which is weaker than a rejection.</summary>
    public const double DefaultExpiredWeight = 0.5;

    /// <param name="outcomes">Every outcome recorded for the proposal or its action, in any order.</param>
    /// <param name="shownToHuman">Whether it was a proposal a person answered (false: an action that ran alone); kept for the record, the rules treat both alike.</param>
    public static IdeaLabel? Label(IEnumerable<OutcomeV1> outcomes, bool shownToHuman, double expiredWeight = DefaultExpiredWeight)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var seen = outcomes.ToHashSet();
        foreach (var outcome in seen.Order())
        {
            if (OutcomeTaxonomyV1.CountsAgainstIdea(outcome))
            {
                return new IdeaLabel(false, 1, outcome);
            }
        }

        if (seen.Contains(OutcomeV1.IdeaEdited))
        {
            return new IdeaLabel(true, 1, OutcomeV1.IdeaEdited);
        }

        // Executed (approved by a person, or allowed to run alone and not objected to): a "yes" for the idea. The
        // execution's result, whatever it was, belongs to the execution, so a failure labels exactly as a success.
        if (seen.Contains(OutcomeV1.ExecutionSucceeded) || seen.Contains(OutcomeV1.ExecutionFailed))
        {
            return new IdeaLabel(true, 1, seen.Contains(OutcomeV1.ExecutionSucceeded) ? OutcomeV1.ExecutionSucceeded : OutcomeV1.ExecutionFailed);
        }

        if (seen.Contains(OutcomeV1.Expired) && expiredWeight > 0)
        {
            return new IdeaLabel(false, expiredWeight, OutcomeV1.Expired);
        }

        // NO_RESPONSE alone: nothing about the idea.
        return null;
    }
}

namespace Autonomy.Outcomes;

/// <summary>What became of a proposal or an action. <see cref="Expired"/> is for a proposal nobody answered.</summary>
public enum OutcomeV1
{
    IdeaRejected,
    IdeaEdited,
    ExecutionFailed,
    ExecutionSucceeded,
    NoResponse,
    NegativeResponse,
    Expired,
}

public static class OutcomeTaxonomyV1
{
    public const string Version = "OutcomeTaxonomyV1";

    /// <summary>Whether an outcome speaks against the idea itself. An execution failure never does, nor does expiry.</summary>
    public static bool CountsAgainstIdea(OutcomeV1 outcome) =>
        outcome is OutcomeV1.IdeaRejected or OutcomeV1.NegativeResponse;

    /// <summary>Outcomes that upstream systems may report later for an executed action.</summary>
    public static bool IsUpstreamReport(OutcomeV1 outcome) =>
        outcome is OutcomeV1.NoResponse or OutcomeV1.NegativeResponse;
}

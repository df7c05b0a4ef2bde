using Autonomy.Outcomes;

namespace Autonomy.Tests.Outcomes;

public class OutcomeTaxonomyV1Tests
{
    [Theory]
    [InlineData(OutcomeV1.IdeaRejected, true)]
    [InlineData(OutcomeV1.NegativeResponse, true)]
    [InlineData(OutcomeV1.IdeaEdited, false)]
    [InlineData(OutcomeV1.ExecutionFailed, false)]
    [InlineData(OutcomeV1.ExecutionSucceeded, false)]
    [InlineData(OutcomeV1.NoResponse, false)]
    [InlineData(OutcomeV1.Expired, false)]
    public void OnlyRejectionAndNegativeResponseCountAgainstTheIdea(OutcomeV1 outcome, bool against) =>
        Assert.Equal(against, OutcomeTaxonomyV1.CountsAgainstIdea(outcome));

    [Fact]
    public void ExecutionFailureAndExpiryNeverCountAgainstTheIdea()
    {
        Assert.False(OutcomeTaxonomyV1.CountsAgainstIdea(OutcomeV1.ExecutionFailed));
        Assert.False(OutcomeTaxonomyV1.CountsAgainstIdea(OutcomeV1.Expired));
    }

    [Fact]
    public void OutcomeCodesAreStable()
    {
        Assert.Equal(
            ["IdeaRejected", "IdeaEdited", "ExecutionFailed", "ExecutionSucceeded", "NoResponse", "NegativeResponse", "Expired"],
            Enum.GetNames<OutcomeV1>());
        Assert.Equal("OutcomeTaxonomyV1", OutcomeTaxonomyV1.Version);
    }

    [Fact]
    public void OnlyResponsesAreUpstreamReports() =>
        Assert.Equal([OutcomeV1.NoResponse, OutcomeV1.NegativeResponse], Enum.GetValues<OutcomeV1>().Where(OutcomeTaxonomyV1.IsUpstreamReport));
}

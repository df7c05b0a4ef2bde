using Autonomy.Learning;
using Autonomy.Outcomes;
using CsCheck;

namespace Autonomy.Tests.Learning;

/// <summary>The taxonomy's attribution: execution failures are the execution's, never a "no" to the idea.</summary>
public class OutcomeAttributionTests
{
    private static readonly Gen<OutcomeV1[]> Outcomes = Gen.Enum<OutcomeV1>().Array[0, 5];

    [Fact]
    public void AnExecutionFailureNeverChangesTheIdeasLabelOfAnApprovedProposal()
    {
        Gen.Select(Outcomes, Gen.Bool).Sample((outcomes, shown) =>
        {
            var without = OutcomeAttribution.Label(outcomes.Where(o => o != OutcomeV1.ExecutionFailed), shown);
            var with = OutcomeAttribution.Label([.. outcomes, OutcomeV1.ExecutionFailed], shown);

            // Adding a failure may only give a label where a person approved (a "yes"), never a "no".
            if (with is { Wanted: false })
            {
                Assert.Equal(without?.Wanted, false);
                Assert.Equal(without!.Weight, with.Weight);
            }
        });
    }

    [Fact]
    public void SwappingAFailedExecutionForASuccessfulOneNeverChangesTheLabel()
    {
        Gen.Select(Outcomes, Gen.Bool).Sample((outcomes, shown) =>
        {
            var failed = OutcomeAttribution.Label(outcomes, shown);
            var succeeded = OutcomeAttribution.Label(outcomes.Select(o => o == OutcomeV1.ExecutionFailed ? OutcomeV1.ExecutionSucceeded : o), shown);

            Assert.Equal(succeeded?.Wanted, failed?.Wanted);
            Assert.Equal(succeeded?.Weight, failed?.Weight);
        });
    }

    [Fact]
    public void AnActionThatRanAloneIsAYesWhateverItsExecution()
    {
        Assert.True(OutcomeAttribution.Label([OutcomeV1.ExecutionFailed], shownToHuman: false)!.Wanted);
        Assert.True(OutcomeAttribution.Label([OutcomeV1.ExecutionSucceeded, OutcomeV1.NoResponse], shownToHuman: false)!.Wanted);
        Assert.Null(OutcomeAttribution.Label([OutcomeV1.NoResponse], shownToHuman: false));
    }

    [Fact]
    public void AnApprovedProposalIsWantedWhateverItsExecution()
    {
        Assert.True(OutcomeAttribution.Label([OutcomeV1.ExecutionFailed], shownToHuman: true)!.Wanted);
        Assert.True(OutcomeAttribution.Label([OutcomeV1.ExecutionSucceeded, OutcomeV1.NoResponse], shownToHuman: true)!.Wanted);
    }

    [Fact]
    public void WhatCountsAgainstTheIdeaAlwaysWins()
    {
        Gen.Select(Outcomes, Gen.OneOf(OutcomeV1.IdeaRejected, OutcomeV1.NegativeResponse), Gen.Bool).Sample((outcomes, against, shown) =>
        {
            var label = OutcomeAttribution.Label([.. outcomes, against], shown);

            Assert.NotNull(label);
            Assert.False(label.Wanted);
            Assert.Equal(1, label.Weight);
            Assert.True(OutcomeTaxonomyV1.CountsAgainstIdea(label.DecidedBy));
        });
    }

    [Fact]
    public void AnExpiryIsAWeakNoAndAnEditIsAYes()
    {
        var expired = OutcomeAttribution.Label([OutcomeV1.Expired], shownToHuman: true)!;
        Assert.False(expired.Wanted);
        Assert.Equal(OutcomeAttribution.DefaultExpiredWeight, expired.Weight);
        Assert.True(OutcomeAttribution.Label([OutcomeV1.IdeaEdited, OutcomeV1.ExecutionFailed], shownToHuman: true)!.Wanted);
        Assert.Null(OutcomeAttribution.Label([OutcomeV1.Expired], shownToHuman: true, expiredWeight: 0));
    }
}

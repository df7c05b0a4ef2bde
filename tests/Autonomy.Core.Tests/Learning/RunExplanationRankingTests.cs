using Autonomy.Learning;
using Autonomy.Ledger;

namespace Autonomy.Tests.Learning;

/// <summary>"What did it know?" includes the ranking: the ranker and the order it gave.</summary>
public class RunExplanationRankingTests
{
    [Fact]
    public void TheRankingStepIsPartOfWhatTheRunKnew()
    {
        var payload = LedgerJson.Serialize(new ProposalsRankedPayload("v3", "acc-1", "alice", 0,
            [new RankedProposalEntry(0, 1, "DRAFT_EMAIL", ["action:DRAFT_EMAIL"], 0.8, 0.9, 0.85, 1), new RankedProposalEntry(1, 0, "CREATE_TASK", ["action:CREATE_TASK"], 0.8, 0.2, 0.25, 1)]));
        var entry = new LedgerEntry("e1", "t", "account/t/acc-1", 1, "run-1", LedgerTypes.ProposalsRanked, LearningData.Start, "system", payload, "", "");

        var explanation = RunExplanation.Build("run-1", [entry])!;

        Assert.Contains(explanation.Knew, k => k.Type == LedgerTypes.ProposalsRanked);
        Assert.Contains(explanation.Why, w => w.Summary == "Ranked by v3: DRAFT_EMAIL, CREATE_TASK.");
    }
}

using Autonomy.Accounts;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Outcomes;

namespace Autonomy.Tests.Learning;

/// <summary>The dataset joins each outcome to its decision-time record by run and position, in any order of entries.</summary>
public class LearningDatasetTests
{
    private static int _seq;

    private static LedgerEntry Entry(string type, string runId, object payload) =>
        new($"e{++_seq}", "t", "account/t/acc-1", _seq, runId, type, LearningData.Start.AddSeconds(_seq), "system", LedgerJson.Serialize(payload), "", "");

    private static LedgerEntry Ranked(string runId, params string[] types) => Entry(LedgerTypes.ProposalsRanked, runId, new ProposalsRankedPayload(
        RankingModel.Prior, "acc-1", "alice", 0,
        [.. types.Select((t, i) => new RankedProposalEntry(i, i, t, [$"action:{t}"], 0.8 - (0.1 * i), 0.8 - (0.1 * i), null, 1))]));

    private static LedgerEntry Outcome(string runId, string id, OutcomeV1 outcome, bool proposal = true) =>
        Entry(LedgerTypes.OutcomeRecorded, runId, new OutcomeRecordedPayload(proposal ? null : id, proposal ? id : null, outcome, OutcomeTaxonomyV1.Version));

    [Fact]
    public void OutcomesJoinTheirDecisionByRunAndPosition()
    {
        var builder = new LearningDatasetBuilder();
        var entries = new List<LedgerEntry>
        {
            Outcome("run-1", "p.YWNjLTE.4-1", OutcomeV1.IdeaRejected),   // before its decision: order does not matter
            Ranked("run-1", "CREATE_TASK", "SEND_EMAIL", "LOG_NOTE"),
            Outcome("run-1", "p.YWNjLTE.4-0", OutcomeV1.ExecutionFailed), // approved, failed to execute: still wanted
            Outcome("run-1", "p.YWNjLTE.4-2", OutcomeV1.Expired),
            Ranked("run-2", "CREATE_TASK"),
            Outcome("run-2", "a.YWNjLTE.5-0", OutcomeV1.ExecutionFailed, proposal: false), // ran alone, failed: a yes, not shown
            Outcome("run-3", "p.YWNjLTE.6-0", OutcomeV1.IdeaEdited), // no decision-time record: left out
        };
        builder.AddRange(entries);

        var examples = builder.Build();

        Assert.Equal(4, examples.Length);
        var alone = examples.Single(e => e.RunId == "run-2");
        Assert.False(alone.Shown);
        Assert.True(alone.Wanted);
        examples = [.. examples.Where(e => e.RunId == "run-1")];
        var task = examples.Single(e => e.Position == 0);
        Assert.True(task.Wanted);
        Assert.Equal("CREATE_TASK", task.ActionType);
        Assert.Equal(OutcomeV1.ExecutionFailed, task.DecidedBy);
        Assert.Equal(["action:CREATE_TASK"], task.Features.ToArray());
        Assert.Equal("alice", task.SellerId);
        var email = examples.Single(e => e.Position == 1);
        Assert.False(email.Wanted);
        Assert.Equal("SEND_EMAIL", email.ActionType);
        var note = examples.Single(e => e.Position == 2);
        Assert.False(note.Wanted);
        Assert.Equal(OutcomeAttribution.DefaultExpiredWeight, note.Weight);
        Assert.All(examples, e => Assert.True(e.Shown));
    }

    [Fact]
    public void AnUpstreamNegativeResponseTurnsAnApprovalIntoANo()
    {
        var builder = new LearningDatasetBuilder();
        builder.AddRange([
            Ranked("run-1", "SEND_EMAIL"),
            Outcome("run-1", "p.YWNjLTE.1-0", OutcomeV1.ExecutionSucceeded),
            Entry(LedgerTypes.OutcomeRecorded, "run-1", new OutcomeRecordedPayload("a.YWNjLTE.1-0", "p.YWNjLTE.1-0", OutcomeV1.NegativeResponse, OutcomeTaxonomyV1.Version)),
        ]);

        var example = Assert.Single(builder.Build());

        Assert.False(example.Wanted);
        Assert.Equal(OutcomeV1.NegativeResponse, example.DecidedBy);
    }

    [Theory]
    [InlineData("p.YWNjLTE.12-3", 3)]
    [InlineData("a.LS0t.7-0", 0)]
    [InlineData("p.YWNjLTE.12", null)]
    [InlineData(null, null)]
    public void ThePositionIsTheIdsSuffix(string? id, int? position) => Assert.Equal(position, LearningDatasetBuilder.PositionOf(id));

    [Fact]
    public void TheSplitKeepsRunsWholeAndHoldsOutTheNewest()
    {
        var examples = LearningData.Slates(LearningData.Opposite, LearningData.Types, 40);

        var (train, holdout) = Shadow.Split(examples);

        Assert.Empty(train.Select(e => e.RunId).Intersect(holdout.Select(e => e.RunId)));
        Assert.True(train.Max(e => e.DecidedAt) <= holdout.Min(e => e.DecidedAt));
        Assert.Equal(examples.Count, train.Length + holdout.Length);
    }
}

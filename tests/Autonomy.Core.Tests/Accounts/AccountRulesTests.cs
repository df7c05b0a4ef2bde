using System.Collections.Immutable;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.Decisions;
using Autonomy.Learning;
using Autonomy.Perception;
using Autonomy.Policy;
using Autonomy.Tests.Policy;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Accounts;

/// <summary>The rules the account grain's flow applies, out of the grain: change triggers, run inputs, ranking, approvals, budgets.</summary>
public sealed class AccountRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly Gen<string?> Text = Gen.OneOf<string?>(null, "A", "B");

    [Fact]
    public void OnlyAnExistingAccountsLifecycleAndPostureChangesAreTriggers() =>
        Gen.Select(Gen.Bool, Text, Text, Text, Text).Sample((existed, lb, la, pb, pa) =>
        {
            var changes = DecisionTrigger.Changes(existed, (lb, pb), (la, pa));

            Assert.Equal(existed && lb != la, changes.Contains(TriggerRegistry.LifecycleChanged));
            Assert.Equal(existed && pb != pa, changes.Contains(TriggerRegistry.PostureChanged));
            Assert.Equal(changes.Length, changes.Distinct().Count());
        });

    [Fact]
    public void OfferedChangesAreSignalsOfTheirOwnTypeAndTheRefusedOnesSayWhy() =>
        Gen.Select(Gen.Bool, Gen.Bool, Gen.Long[0, 1000]).Sample((lifecycle, posture, seq) =>
        {
            var types = DecisionTrigger.Changes(true, ("A", "A"), (lifecycle ? "B" : "A", posture ? "B" : "A"));
            var registry = TriggerRegistry.Default;
            var (state, refused) = DecisionTrigger.OfferChanges(registry, TriggerState.Empty, types, seq, Now);

            var expected = TriggerState.Empty;
            foreach (var type in types)
            {
                expected = DecisionTrigger.OnSignal(registry, expected, new SignalRef($"{type}:{seq}", type, Now, 1.0), Now).State;
            }

            Assert.Equal(expected.Window?.Signals.Select(s => s.Id), state.Window?.Signals.Select(s => s.Id));
            Assert.All(refused, r => Assert.NotEqual(TriggerVerdict.Accepted, r.Outcome.Verdict));
        });

    [Fact]
    public void TheSameSignalsInAnyOrderAreTheSameRunInputs() =>
        Gen.Select(Gen.Int[0, 9].Array[1, 6], Gen.Int[0, 1000]).Sample((ids, seed) =>
        {
            var signals = ids.Distinct().Select(i => new SignalRef($"s{i}", $"T{i % 3}", Now, 0.5)).ToImmutableArray();
            var random = new Random(seed);
            var shuffled = signals.OrderBy(_ => random.Next()).ToImmutableArray();
            var window = new TriggerWindow(Now, Now, TimeSpan.Zero, TimeSpan.Zero, signals);

            Assert.Equal(window.InputsDigest(), (window with { Signals = shuffled }).InputsDigest());
            Assert.NotEqual(window.InputsDigest(), (window with { Count = signals.Length + 1 }).InputsDigest());
        });

    [Fact]
    public void RankingKeepsEveryProposalAndTheSameRunRanksTheSameWay() =>
        Gen.Select(Gen.Double.Unit.Array[0, 6], Gen.Double[0, 0.5], Gen.Int[0, 100]).Sample((confidences, exploration, run) =>
        {
            ImmutableArray<ProposedAction> proposals = [.. confidences.Select((c, i) => new ProposedAction($"TYPE_{i}", "{}", c, "r", []))];
            static RankingContext Context(ProposedAction p) => new(p.ActionType, "T", [], HeatTier.Warm, null, null, "s", p.Confidence);
            var (ranked, ranking) = RunRanking.Rank(null, exploration, $"run_{run}", proposals, Context);
            var again = RunRanking.Rank(null, exploration, $"run_{run}", proposals, Context);

            Assert.Equal(proposals.Select(p => p.ActionType).Order(), ranked.Select(p => p.ActionType).Order());
            Assert.Equal(ranking.EngineIndexes.Select(i => proposals[i].ActionType), ranked.Select(p => p.ActionType));
            Assert.Equal(ranked.Select(p => p.ActionType), again.Ranked.Select(p => p.ActionType));
            Assert.Null(ranking.At(proposals.Length));
        });

    [Fact]
    public void AnApprovalExecutesUnderTheProposalsReasonUnlessAKillSwitchHidTheRest() =>
        Gen.Select(PolicyGen.Input, Gen.Enum<PolicyReason>()).Sample((input, shown) =>
        {
            var now = AutoApprovalPolicyV1.Evaluate(input);
            var result = HumanApproval.Approved("alice", (shown, "shown", "v9"), now);

            Assert.Equal(PolicyDecision.RequireApproval, result.Decision);
            Assert.Equal(shown == PolicyReason.KillSwitch ? now.Reason : shown, result.Reason);
            Assert.StartsWith("Approved by alice. ", result.Explanation, StringComparison.Ordinal);
            Assert.Equal("v9", result.PolicyVersion);
        });

    [Fact]
    public void ExecutionsInFlightAtTheirBoundHoldBackWhatTheBudgetWouldAllow() =>
        Gen.Select(Gen.Int[0, 10], Gen.Int[0, 20], Gen.Int[1, 20]).Sample((limit, inFlight, max) =>
        {
            var config = AutonomyBudgetConfig.Default with { MaxPerAccountPerDay = limit };
            var usage = BudgetUsage.Start(AutonomyBudget.DayOf(Now));
            var plain = AutonomyBudget.Check(config, usage, "CREATE_TASK", Now);
            var check = AutonomyBudget.Check(config, usage, "CREATE_TASK", Now, inFlight, max);

            Assert.Equal(plain.Allowed && inFlight < max, check.Allowed);
        });

    [Fact]
    public void AnApprovalsActionIdIsTheProposalsSuffixOnTheSameAccount() =>
        Gen.Select(Gen.Int[0, 1000], Gen.Int[0, 9]).Sample((counter, index) =>
        {
            var proposal = Ids.Proposal("acc-1", $"{counter}-{index}");

            Assert.Equal(Ids.Action("acc-1", $"{counter}-{index}"), Ids.ActionOfProposal("acc-1", proposal));
            Assert.Equal("acc-1", Ids.AccountOf(Ids.ActionOfProposal("acc-1", proposal)));
        });
}

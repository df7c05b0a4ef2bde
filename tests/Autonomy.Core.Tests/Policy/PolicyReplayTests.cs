using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Ledger;
using Autonomy.Policy;
using CsCheck;

namespace Autonomy.Tests.Policy;

/// <summary>
/// Policy replay over generated ledgered decisions (every mode, switch, risk, lifecycle and parameter combination) and
/// generated candidates: what it reports is exactly what the policy answers under the candidate, and a candidate
/// changes only the decisions it touches.
/// </summary>
public class PolicyReplayTests
{
    private const long Iter = 2_000;

    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A decision as a run ledgers it: the policy's own answer to its input.</summary>
    private static readonly Gen<LedgeredDecision> Decision = Gen.Select(PolicyGen.Input, Gen.Int[0, 9], Gen.Int[0, 100_000], (input, index, n) =>
        new LedgeredDecision($"le_{n}", $"run-{n}", $"acc-{n % 7}", index, input.ActionType, T0.AddSeconds(n), input, AutoApprovalPolicyV1.Evaluate(input)));

    private static readonly Gen<ImmutableArray<LedgeredDecision>> Decisions = Decision.Array[0, 40].Select(a => a.Select((d, i) => d with { EntryId = $"le_{i}" }).ToImmutableArray());

    private static readonly Gen<ImmutableDictionary<string, AutonomyModeV1>> Modes =
        Gen.Select(PolicyGen.Subset(PolicyGen.Types), Gen.Enum<AutonomyModeV1>().Array[PolicyGen.Types.Length], (types, modes) =>
            types.Select((t, i) => KeyValuePair.Create(t, modes[i])).ToImmutableDictionary(StringComparer.Ordinal));

    private static readonly Gen<ImmutableDictionary<string, ActionTypeSpec>> Catalog =
        Gen.Select(PolicyGen.Subset(PolicyGen.Types), PolicyGen.Spec.Array[PolicyGen.Types.Length], (types, specs) =>
            types.Select((t, i) => KeyValuePair.Create(t, specs[i] with { ActionType = t })).ToImmutableDictionary(StringComparer.Ordinal));

    private static readonly Gen<ReplayCandidate> Candidate = Gen.Select(
        Modes,
        Gen.Frequency((1, Gen.Const((PolicyParameters?)null)), (1, PolicyGen.Parameters.Select(p => (PolicyParameters?)p))),
        Catalog,
        (modes, parameters, catalog) => new ReplayCandidate(modes, parameters, catalog));

    [Fact]
    public void ReplayingUnderTheUnchangedConfigurationChangesNothing() =>
        Decisions.Sample(decisions =>
        {
            var outcome = PolicyReplay.Replay(decisions, ReplayCandidate.Unchanged);

            Assert.Equal(decisions.Length, outcome.Evaluated);
            Assert.Empty(outcome.Changes);
            Assert.Equal(decisions.Length, outcome.Unchanged);
        }, iter: Iter);

    [Fact]
    public void ACandidateThatRestatesWhatEachDecisionSawChangesNothing() =>
        Decision.Sample(decision =>
        {
            var input = decision.Input;
            var restated = new ReplayCandidate(
                ImmutableDictionary<string, AutonomyModeV1>.Empty.Add(input.ActionType, input.Mode),
                input.Parameters,
                ImmutableDictionary<string, ActionTypeSpec>.Empty);

            Assert.Null(PolicyReplay.Replay(decision, restated));
        }, iter: Iter);

    [Fact]
    public void ACandidateIdenticalButForOneTypesModeChangesOnlyThatTypesDecisions() =>
        Gen.Select(Decisions, Candidate, Gen.OneOf(PolicyGen.Types), Gen.Enum<AutonomyModeV1>()).Sample((decisions, candidate, type, mode) =>
        {
            var edited = candidate with { Modes = candidate.Modes.SetItem(type, mode) };

            var before = PolicyReplay.Replay(decisions, candidate).Changes.ToDictionary(c => c.Decision.EntryId, c => (c.After.Decision, c.After.Reason));
            var after = PolicyReplay.Replay(decisions, edited).Changes.ToDictionary(c => c.Decision.EntryId, c => (c.After.Decision, c.After.Reason));

            foreach (var d in decisions.Where(d => d.ActionType != type))
            {
                Assert.Equal(before.GetValueOrDefault(d.EntryId), after.GetValueOrDefault(d.EntryId));
            }
        }, iter: Iter);

    [Fact]
    public void AModeAloneChangesOnlyDecisionsOfItsType() =>
        Gen.Select(Decisions, Gen.OneOf(PolicyGen.Types), Gen.Enum<AutonomyModeV1>()).Sample((decisions, type, mode) =>
        {
            var candidate = ReplayCandidate.Unchanged with { Modes = ReplayCandidate.Unchanged.Modes.Add(type, mode) };

            Assert.All(PolicyReplay.Replay(decisions, candidate).Changes, c => Assert.Equal(type, c.Decision.ActionType));
        }, iter: Iter);

    [Fact]
    public void EveryReportedAnswerIsThePolicysAnswerUnderTheCandidateAndEveryOmittedOneIsUnchanged() =>
        Gen.Select(Decisions, Candidate).Sample((decisions, candidate) =>
        {
            var changes = PolicyReplay.Replay(decisions, candidate).Changes.ToDictionary(c => c.Decision.EntryId);
            foreach (var d in decisions)
            {
                var expected = AutoApprovalPolicyV1.Evaluate(candidate.Apply(d.Input));
                if (changes.TryGetValue(d.EntryId, out var change))
                {
                    Assert.Equal(expected, change.After);
                    Assert.Equal(d.Result, change.Before);
                    Assert.True(expected.Decision != d.Result.Decision || expected.Reason != d.Result.Reason);
                    Assert.Equal(expected.Decision != d.Result.Decision, change.DecisionChanged);
                }
                else
                {
                    Assert.Equal((d.Result.Decision, d.Result.Reason), (expected.Decision, expected.Reason));
                }
            }
        }, iter: Iter);

    [Fact]
    public void SwitchingATypeToApprovalRequiredChangesTheDecisionOfExactlyItsAutonomousDecisions() =>
        // Decisions taken in AUTO_EXECUTE mode (the ones a switch to APPROVAL_REQUIRED is about).
        Gen.Select(Decisions, Gen.OneOf(PolicyGen.Types)).Sample((decisions, type) =>
        {
            var auto = decisions.Select(d => d with { Input = d.Input with { Mode = AutonomyModeV1.AutoExecute } })
                .Select(d => d with { Result = AutoApprovalPolicyV1.Evaluate(d.Input) }).ToImmutableArray();
            var candidate = ReplayCandidate.Unchanged with { Modes = ReplayCandidate.Unchanged.Modes.Add(type, AutonomyModeV1.ApprovalRequired) };

            var changed = PolicyReplay.Replay(auto, candidate).Changes.Where(c => c.DecisionChanged).ToList();

            Assert.Equal(
                auto.Where(d => d.ActionType == type && d.Result.Decision == PolicyDecision.AutoExecute).Select(d => d.EntryId),
                changed.Select(c => c.Decision.EntryId));
            Assert.All(changed, c => Assert.Equal((PolicyDecision.RequireApproval, PolicyReason.ModeApprovalRequired), (c.After.Decision, c.After.Reason)));
        }, iter: Iter);

    [Fact]
    public void ADecisionAKillSwitchStoppedStaysStoppedUnderAnyCandidate() =>
        Gen.Select(Decision, Candidate).Sample((decision, candidate) =>
        {
            if (decision.Result.Reason == PolicyReason.KillSwitch)
            {
                Assert.Null(PolicyReplay.Replay(decision, candidate));
            }
        }, iter: Iter * 5);

    [Fact]
    public void OnlyANewAutoExecuteIsBudgetDependent() =>
        Gen.Select(Decisions, Candidate).Sample((decisions, candidate) =>
            Assert.All(PolicyReplay.Replay(decisions, candidate).Changes, c =>
                Assert.Equal(c.After.Decision == PolicyDecision.AutoExecute && c.Before.Decision != PolicyDecision.AutoExecute, c.BudgetDependent)),
            iter: Iter);

    [Fact]
    public void ACandidateNeverLoosensABuiltIn()
    {
        // APPLY_DISCOUNT is high risk: a candidate entry calling it low risk and allow-listed is made stricter, as the catalog rule does.
        var input = Golden.Allowed with { ActionType = "APPLY_DISCOUNT", Spec = ActionCatalog.BuiltIns["APPLY_DISCOUNT"] };
        var decision = new LedgeredDecision("le_1", "run-1", "acc-1", 0, "APPLY_DISCOUNT", T0, input, AutoApprovalPolicyV1.Evaluate(input));
        var looser = ReplayCandidate.Unchanged with
        {
            Catalog = ImmutableDictionary<string, ActionTypeSpec>.Empty.Add("APPLY_DISCOUNT", new ActionTypeSpec("APPLY_DISCOUNT", RiskLevel.Low, false, true, true)),
        };

        Assert.Equal(PolicyReason.RiskLevelHigh, decision.Result.Reason);
        Assert.Null(PolicyReplay.Replay(decision, looser));
    }

    [Fact]
    public void ARunsPolicyEntryReadsBackAsTheDecisionItRecorded() =>
        // The ledger holds finite numbers (the engine's confidence is validated); JSON has no NaN.
        PolicyGen.Input.Where(i => double.IsFinite(i.Confidence) && double.IsFinite(i.Parameters.MinConfidence)).Sample(input =>
        {
            var result = AutoApprovalPolicyV1.Evaluate(input);
            var entry = Entry(new PolicyEvaluatedPayload(3, input.ActionType, new JsonObject { ["title"] = "x" }, input, result, 7));

            var read = PolicyReplay.Read(entry);

            Assert.NotNull(read);
            Assert.Equal(("acc-9", "run-9", 3, input.ActionType), (read.AccountId, read.RunId, read.Index, read.ActionType));
            Assert.Equal(result, read.Result);
            Assert.Equal(result, AutoApprovalPolicyV1.Evaluate(read.Input));
        }, iter: 500);

    [Fact]
    public void AHumansReevaluationAndOtherEntriesAreNotReplayed()
    {
        var input = Golden.Allowed;
        var result = AutoApprovalPolicyV1.Evaluate(input);

        Assert.Null(PolicyReplay.Read(Entry(new PolicyEvaluatedPayload(null, input.ActionType, null, input, result, 7, "p-1", Reevaluation: true))));
        Assert.Null(PolicyReplay.Read(Entry(new PolicyEvaluatedPayload(0, input.ActionType, null, input, result, 7, "p-1", Reevaluation: true))));
        Assert.Null(PolicyReplay.Read(Entry(new PolicyEvaluatedPayload(0, input.ActionType, null, input, result, 7)) with { Type = LedgerTypes.BudgetChecked }));
        Assert.Null(PolicyReplay.Read(Entry(new PolicyEvaluatedPayload(0, input.ActionType, null, input, result, 7)) with { Payload = "{\"index\":\"not a number\"}" }));
    }

    private static LedgerEntry Entry(PolicyEvaluatedPayload payload) =>
        new("le_1", "t-1", LedgerStreamIds.ForAccount("t-1", "acc-9"), 4, "run-9", LedgerTypes.PolicyEvaluated, T0, "system", LedgerJson.Serialize(payload), "prev", "hash");
}

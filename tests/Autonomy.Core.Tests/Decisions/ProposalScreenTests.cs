using System.Collections.Immutable;
using Autonomy.Actions;
using Autonomy.Decisions;
using CsCheck;

namespace Autonomy.Tests.Decisions;

/// <summary>The step between any engine and the policy: schemas hold, a chat answer's confidence is capped, nothing is lost.</summary>
public class ProposalScreenTests
{
    private static readonly string[] Parameters =
    [
        """{"title":"Prepare renewal"}""", """{}""", """{"title":"x","callbackUrl":"https://evil.example"}""", """{"template":"renewal-checkin"}""",
        """{"template":"renewal-checkin","to":"attacker@evil.example"}""", """{"percent":20}""", """{"percent":1000}""", """{"text":"note"}""",
    ];

    private static readonly Gen<ProposedAction> Proposal =
        Gen.Select(Gen.OneOf([.. ActionCatalog.BuiltIns.Keys, "NOT_IN_CATALOG"]), Gen.OneOf(Parameters), Gen.Double[0, 1])
            .Select((type, parameters, confidence) => new ProposedAction(type, parameters, confidence, "r", []));

    private static readonly Gen<DecisionResult> Decision =
        Gen.Select(Proposal.Array[0, 8], Gen.OneOf(Gen.Const("chat"), Gen.Const(PlaybookEngine.Name)))
            .Select((proposals, engine) => new DecisionResult(engine, [.. proposals], 0));

    [Fact]
    public void NothingOutsideItsSchemaPassesAndNothingIsLost() =>
        Gen.Select(Decision, Gen.OneOf(Gen.Double[0, 1].Select(c => (double?)c), Gen.Const((double?)null))).Sample((decision, cap) =>
        {
            var screened = ProposalScreen.Screen(decision, ActionCatalog.BuiltIns, cap);

            Assert.All(screened.Decision.Proposals, p =>
            {
                if (ActionCatalog.BuiltIns.TryGetValue(p.ActionType, out var spec))
                {
                    Assert.Null(ActionCatalog.CheckParameters(spec, p.Parameters));
                }

                Assert.True(cap is null || p.Confidence <= cap, $"confidence {p.Confidence} above the cap {cap}");
            });
            Assert.All(screened.ScreenedOut, r =>
            {
                Assert.Equal(ProposalScreen.OutOfSchema, r.Reason);
                Assert.NotNull(ActionCatalog.CheckParameters(ActionCatalog.BuiltIns[r.ActionType], decision.Proposals[r.Index].Parameters));
            });
            Assert.Equal(decision.Proposals.Length, screened.Decision.Proposals.Length + screened.ScreenedOut.Length);
            Assert.Equal(cap, screened.ConfidenceCap);
        }, iter: 5_000);

    [Fact]
    public void TheCapLowersOnlyWhatIsAboveItAndRemembersTheEnginesValue() =>
        Gen.Select(Decision, Gen.Double[0, 1]).Sample((decision, cap) =>
        {
            var screened = ProposalScreen.Screen(decision, ImmutableDictionary<string, ActionTypeSpec>.Empty, cap);
            for (var i = 0; i < decision.Proposals.Length; i++)
            {
                var before = decision.Proposals[i].Confidence;
                Assert.Equal(Math.Min(before, cap), screened.Decision.Proposals[i].Confidence);
                Assert.Equal(before > cap ? before : null, screened.EngineConfidenceOf(i));
            }
        }, iter: 5_000);

    [Fact]
    public void WithoutACapConfidencesAreTheEnginesOwn() =>
        Decision.Sample(decision =>
        {
            var screened = ProposalScreen.Screen(decision, ImmutableDictionary<string, ActionTypeSpec>.Empty, null);
            Assert.Equal(decision.Proposals.Select(p => (p.ActionType, p.Parameters, p.Confidence)), screened.Decision.Proposals.Select(p => (p.ActionType, p.Parameters, p.Confidence)));
            Assert.Empty(screened.Capped);
        });
}

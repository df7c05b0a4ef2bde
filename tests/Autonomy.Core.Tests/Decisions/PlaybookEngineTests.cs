using System.Collections.Immutable;
using Autonomy.Decisions;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Decisions;

public class PlaybookEngineTests
{
    private static readonly string[] SignalTypes = ["EMAIL_REPLY_RECEIVED", "USAGE_DROPPED", "CHAMPION_LEFT", "DAILY_BRIEF"];
    private static readonly string[] Lifecycles = ["PROSPECT", "CUSTOMER", "RENEWAL"];
    private static readonly DateTimeOffset At = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Gen<PlaybookProposal> Proposal = Gen.Select(
        Gen.OneOf("CREATE_TASK", "LOG_NOTE", "SEND_EMAIL"),
        Gen.OneOf("{}", "{\"a\":1}", "{\"a\":2}"),
        Gen.Double.Unit,
        Gen.OneOf<string?>("why", null),
        (type, parameters, confidence, rationale) => new PlaybookProposal(type, parameters, confidence, rationale));

    private static readonly Gen<Playbook> AnyPlaybook = Gen.Select(
        Gen.OneOf(SignalTypes),
        Gen.OneOf<string?>([.. Lifecycles, null, null]),
        Proposal.Array[0, 3],
        (signal, lifecycle, proposals) => new PlaybookRule(signal, lifecycle, [.. proposals]))
        .Array[0, 8].Select(rules => new Playbook([.. rules]));

    private static readonly Gen<DecisionContext> Context = Gen.Select(
        AnyPlaybook,
        Gen.OneOf(SignalTypes).Array[0, 4],
        Gen.OneOf([.. SignalTypes, "WEEKLY_REVIEW"]),
        Gen.OneOf<string?>([.. Lifecycles, "CHURNED", null]),
        (playbook, signals, trigger, lifecycle) => new DecisionContext(
            "t", "a", "run-1", trigger,
            [.. signals.Select((type, i) => new SignalRef($"s{i}", type, At, 0.5))],
            lifecycle, null, 1.0, playbook));

    private static bool Applies(PlaybookRule rule, DecisionContext context) =>
        (rule.SignalType == context.TriggerType || context.Signals.Any(s => s.Type == rule.SignalType))
        && (rule.Lifecycle is null || rule.Lifecycle == context.Lifecycle);

    private static string Show(DecisionResult result) =>
        string.Join("\n", result.Proposals.Select(p => $"{p.ActionType} {p.Parameters} {p.Confidence:R} {p.Rationale} [{string.Join(",", p.InputsUsed)}]"));

    [Fact]
    public void SameContextAlwaysGivesSameProposals() =>
        Context.Sample(context => Assert.Equal(Show(PlaybookEngine.Propose(context)), Show(PlaybookEngine.Propose(context with { Signals = [.. context.Signals] }))));

    [Fact]
    public void OnlyRulesThatApplyProposeAnything() =>
        Context.Sample(context =>
        {
            // Removing every rule whose signal type is absent or whose lifecycle differs changes nothing.
            var applicable = context with { Playbook = new Playbook([.. context.Playbook.Rules.Where(r => Applies(r, context))]) };
            Assert.Equal(Show(PlaybookEngine.Propose(applicable)), Show(PlaybookEngine.Propose(context)));

            var none = context with { Playbook = new Playbook([.. context.Playbook.Rules.Where(r => !Applies(r, context))]) };
            Assert.Empty(PlaybookEngine.Propose(none).Proposals);
        }, iter: 5_000);

    [Fact]
    public void SameActionAndParametersAppearOnceAtTheHighestConfidence() =>
        Context.Sample(context =>
        {
            var expected = context.Playbook.Rules.Where(r => Applies(r, context))
                .SelectMany(r => r.Propose)
                .GroupBy(p => (p.ActionType, p.Parameters))
                .Select(g => (g.Key.ActionType, g.Key.Parameters, g.Max(p => p.Confidence)))
                .ToList();

            var result = PlaybookEngine.Propose(context);

            Assert.Equal(expected, result.Proposals.Select(p => (p.ActionType, p.Parameters, p.Confidence)));
            Assert.Equal(PlaybookEngine.Name, result.Engine);
            Assert.Equal(0, result.Tokens);
        }, iter: 5_000);

    [Fact]
    public void ProposalNamesTheSignalsItUsed()
    {
        var rule = new PlaybookRule("USAGE_DROPPED", null, [new PlaybookProposal("CREATE_TASK", "{}", 0.8, null)]);
        var context = new DecisionContext(
            "t", "a", "r", "USAGE_DROPPED",
            [new SignalRef("s1", "USAGE_DROPPED", At, 1), new SignalRef("s2", "WEBSITE_VISIT", At, 1)],
            "CUSTOMER", null, 0, new Playbook([rule]));

        var proposal = Assert.Single(PlaybookEngine.Propose(context).Proposals);

        Assert.Equal(["signal:s1", "rule:USAGE_DROPPED"], proposal.InputsUsed.ToArray());
        Assert.False(string.IsNullOrWhiteSpace(proposal.Rationale));
    }

    [Fact]
    public void LifecycleNarrowedRuleAppliesOnlyToThatLifecycle()
    {
        var rule = new PlaybookRule("CHAMPION_LEFT", "RENEWAL", [new PlaybookProposal("CREATE_TASK", "{}", 0.8, null)]);
        DecisionContext In(string? lifecycle) => new("t", "a", "r", "CHAMPION_LEFT", [], lifecycle, null, 0, new Playbook([rule]));

        Assert.Single(PlaybookEngine.Propose(In("RENEWAL")).Proposals);
        Assert.Empty(PlaybookEngine.Propose(In("CUSTOMER")).Proposals);
        Assert.Empty(PlaybookEngine.Propose(In(null)).Proposals);
    }
}

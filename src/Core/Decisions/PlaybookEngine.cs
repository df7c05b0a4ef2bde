using System.Collections.Immutable;

namespace Autonomy.Decisions;

/// <summary>
/// The default, deterministic engine: every rule whose signal type occurs in the run (and whose lifecycle, if
/// set, matches) contributes its proposals, in rule order; the same action with the same parameters is proposed
/// once, at its highest confidence.
/// </summary>
public sealed class PlaybookEngine : IDecisionEngine
{
    public const string Name = "playbook";

    public Task<DecisionResult> ProposeAsync(DecisionContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Propose(context));

    public static DecisionResult Propose(DecisionContext context)
    {
        var types = context.Signals.Select(s => s.Type).Append(context.TriggerType).ToHashSet(StringComparer.Ordinal);
        var chosen = new List<ProposedAction>();
        foreach (var rule in context.Playbook.Rules)
        {
            if (!types.Contains(rule.SignalType) || (rule.Lifecycle is { } lifecycle && lifecycle != context.Lifecycle))
            {
                continue;
            }

            var inputs = context.Signals.Where(s => s.Type == rule.SignalType).Select(s => $"signal:{s.Id}")
                .Append($"rule:{rule.SignalType}").ToImmutableArray();
            foreach (var p in rule.Propose)
            {
                var same = chosen.FindIndex(c => c.ActionType == p.ActionType && c.Parameters == p.Parameters);
                var proposal = new ProposedAction(p.ActionType, p.Parameters, p.Confidence, p.Rationale ?? $"Playbook rule for {rule.SignalType}.", inputs);
                if (same < 0)
                {
                    chosen.Add(proposal);
                }
                else if (chosen[same].Confidence < p.Confidence)
                {
                    chosen[same] = proposal;
                }
            }
        }

        return new DecisionResult(Name, [.. chosen], 0);
    }
}

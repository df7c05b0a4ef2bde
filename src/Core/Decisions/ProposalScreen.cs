using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Actions;

namespace Autonomy.Decisions;

/// <summary>A proposal screened out before the policy: where it stood in the engine's answer, what it asked for, and why.</summary>
public sealed record ScreenedOutProposal(int Index, string ActionType, JsonNode? Parameters, double Confidence, string Reason, string Detail);

/// <summary>A proposal whose confidence the tenant's cap lowered: the engine's own value, kept for the ledger.</summary>
public sealed record CappedConfidence(int Index, double EngineConfidence);

/// <summary>
/// What the screen let through (in the engine's order, confidences capped), what it kept out, and the cap it applied
/// (null when none applies: the playbook's proposals are the tenant's own).
/// </summary>
public sealed record ScreenedDecision(DecisionResult Decision, ImmutableArray<ScreenedOutProposal> ScreenedOut, double? ConfidenceCap, ImmutableArray<CappedConfidence> Capped)
{
    /// <summary>The engine's own confidence for the <paramref name="index"/>-th proposal let through, when the cap lowered it.</summary>
    public double? EngineConfidenceOf(int index) => Capped.FirstOrDefault(c => c.Index == index)?.EngineConfidence;
}

/// <summary>
/// The step between any engine and the policy: a proposal whose parameters fail its action type's schema is kept
/// out (reason <see cref="OutOfSchema"/>), whichever engine made it, and a chat proposal's confidence is capped by
/// the tenant's setting, so the policy never reads parameters or a confidence a model chose outside those bounds.
/// </summary>
public static class ProposalScreen
{
    public const string OutOfSchema = "PARAMETERS_OUT_OF_SCHEMA";

    /// <summary>
    /// Screens <paramref name="decision"/> against <paramref name="catalog"/>; <paramref name="confidenceCap"/> (for a chat
    /// answer) lowers every confidence above it. A type missing from the catalog is left to the policy, which refuses it.
    /// </summary>
    public static ScreenedDecision Screen(DecisionResult decision, IReadOnlyDictionary<string, ActionTypeSpec> catalog, double? confidenceCap)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(catalog);
        var kept = ImmutableArray.CreateBuilder<ProposedAction>();
        var outOfSchema = ImmutableArray.CreateBuilder<ScreenedOutProposal>();
        var capped = ImmutableArray.CreateBuilder<CappedConfidence>();
        var proposals = decision.Proposals.IsDefault ? [] : decision.Proposals;
        for (var i = 0; i < proposals.Length; i++)
        {
            var p = proposals[i];
            if (catalog.GetValueOrDefault(p.ActionType) is { } spec && ActionCatalog.CheckParameters(spec, p.Parameters) is { } error)
            {
                outOfSchema.Add(new ScreenedOutProposal(i, p.ActionType, ChatAnswer.ParseOrNull(p.Parameters), p.Confidence, OutOfSchema, error));
                continue;
            }

            if (confidenceCap is { } cap && p.Confidence > cap)
            {
                capped.Add(new CappedConfidence(kept.Count, p.Confidence));
                p = p with { Confidence = cap };
            }

            kept.Add(p);
        }

        return new ScreenedDecision(decision with { Proposals = kept.ToImmutable() }, outOfSchema.ToImmutable(), confidenceCap, capped.ToImmutable());
    }
}

using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Common;
using Autonomy.Perception;

namespace Autonomy.Learning;

/// <summary>What the ranker may look at for one proposal: the run's context, the seller it is shown to, and the engine's raw confidence.</summary>
public sealed record RankingContext(
    string ActionType,
    string TriggerType,
    ImmutableArray<string> SignalTypes,
    HeatTier Tier,
    string? Lifecycle,
    string? Posture,
    string SellerId,
    double EngineConfidence);

/// <summary>
/// The ranker's features: one-hot names (a linear model over them is a table of per-name weights), with crosses
/// of the seller and the action type (and of the action type with the run's context) so that one seller's taste
/// for drafts and another's for tasks are both learnable. The engine's confidence is the one numeric input.
/// </summary>
public static class RankingFeatures
{
    /// <summary>The name under which the engine's raw confidence enters the model as a number.</summary>
    public const string EngineConfidence = "engine-confidence";

    /// <summary>Posture scores are bucketed: below 1/3 low, below 2/3 mid, else high.</summary>
    public static string Bucket(double value) => value < 1.0 / 3 ? "low" : value < 2.0 / 3 ? "mid" : "high";

    public static ImmutableArray<string> Of(RankingContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var a = c.ActionType;
        var tier = WireName.Of(c.Tier);
        var names = new SortedSet<string>(StringComparer.Ordinal)
        {
            $"action:{a}",
            $"trigger:{c.TriggerType}",
            $"heat:{tier}",
            $"lifecycle:{c.Lifecycle ?? "-"}",
            $"seller:{c.SellerId}",
            $"seller*action:{c.SellerId}|{a}",
            $"seller*action*heat:{c.SellerId}|{a}|{tier}",
            $"action*trigger:{a}|{c.TriggerType}",
            $"action*heat:{a}|{tier}",
            $"action*lifecycle:{a}|{c.Lifecycle ?? "-"}",
        };
        foreach (var signal in c.SignalTypes.IsDefault ? [] : c.SignalTypes)
        {
            names.Add($"signal:{signal}");
        }

        foreach (var (field, value) in PostureScores(c.Posture))
        {
            names.Add($"posture:{field}:{Bucket(value)}");
            names.Add($"action*posture:{a}|{field}:{Bucket(value)}");
        }

        return [.. names];
    }

    /// <summary>The numeric fields of a posture object (e.g. intent, risk), each clamped to 0..1; none when it is not an object.</summary>
    public static IEnumerable<(string Field, double Value)> PostureScores(string? posture)
    {
        if (posture is null)
        {
            yield break;
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(posture);
        }
        catch (System.Text.Json.JsonException)
        {
            yield break;
        }

        if (node is not JsonObject obj)
        {
            yield break;
        }

        foreach (var (field, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (value is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d))
            {
                yield return (field.ToLowerInvariant(), Math.Clamp(d, 0, 1));
            }
        }
    }
}

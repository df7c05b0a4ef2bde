using System.Text.Json.Nodes;

namespace Autonomy.Perception;

/// <summary>What an account's posture (upstream JSON) means for heat.</summary>
public static class Posture
{
    /// <summary>The posture scores that set the heat floor, each read as a number in 0..1.</summary>
    public static readonly IReadOnlyList<string> ScoredFields = ["intent", "risk", "engagement"];

    /// <summary>
    /// The highest of <see cref="ScoredFields"/> (0 when none is a number, or the posture is not an object); clamped to
    /// 0..1 by <see cref="Heat.WithPosture"/>, which turns it into the floor.
    /// </summary>
    public static double Score(string? posture)
    {
        if (posture is null || JsonNode.Parse(posture) is not JsonObject obj)
        {
            return 0;
        }

        var max = 0.0;
        foreach (var field in ScoredFields)
        {
            if (obj[field] is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d) && d > max)
            {
                max = d;
            }
        }

        return max;
    }

    /// <summary>
    /// <paramref name="current"/> with the fields of <paramref name="fields"/> (a JSON object) set, as canonical JSON;
    /// null when that changes nothing (no fields, or the same values).
    /// </summary>
    public static string? Merge(string? current, string fields)
    {
        if (JsonNode.Parse(fields) is not JsonObject pulled || pulled.Count == 0)
        {
            return null;
        }

        var merged = (current is { } text ? JsonNode.Parse(text) as JsonObject : null) ?? [];
        foreach (var (field, value) in pulled)
        {
            merged[field] = value?.DeepClone();
        }

        var canonical = Actions.ArgsDigest.Canonical(merged);
        return canonical == current ? null : canonical;
    }
}

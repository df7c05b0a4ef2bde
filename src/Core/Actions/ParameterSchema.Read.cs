using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Autonomy.Actions;

// Reading a schema: the keywords of the subset, each checked where it stands, into the compiled Node tree that Check walks.
public sealed partial class ParameterSchema
{
    private static readonly ImmutableHashSet<string> Keywords = ImmutableHashSet.Create(
        StringComparer.Ordinal,
        "type", "properties", "required", "additionalProperties", "enum", "minLength", "maxLength", "minimum", "maximum", "maxItems", "items", "pattern", "title", "description");

    private static readonly ImmutableHashSet<string> Types = ImmutableHashSet.Create(StringComparer.Ordinal, "object", "string", "number", "integer", "boolean", "array");

    private static Node? Read(JsonObject schema, string path, int depth, out string? error)
    {
        error = null;
        if (depth > MaxDepth)
        {
            error = $"{path}: schemas nest at most {MaxDepth} levels.";
            return null;
        }

        if (schema.Select(p => p.Key).FirstOrDefault(k => !Keywords.Contains(k)) is { } unknown)
        {
            error = $"{path}: \"{Trim(unknown)}\" is not supported; the subset is {string.Join(", ", Keywords.Order(StringComparer.Ordinal))}.";
            return null;
        }

        string? type = null;
        if (schema.TryGetPropertyValue("type", out var t))
        {
            if (t is not JsonValue tv || !tv.TryGetValue<string>(out var ts) || !Types.Contains(ts))
            {
                error = $"{path}: type must be one of {string.Join(", ", Types.Order(StringComparer.Ordinal))} (one type, as a string).";
                return null;
            }

            type = ts;
        }

        foreach (var annotation in new[] { "title", "description" })
        {
            if (schema.TryGetPropertyValue(annotation, out var a) && (a is not JsonValue av || !av.TryGetValue<string>(out var text) || text.Length > 2000))
            {
                error = $"{path}: {annotation} must be a string of at most 2000 characters.";
                return null;
            }
        }

        var allowed = type switch
        {
            "object" => new[] { "properties", "required", "additionalProperties" },
            "string" => ["minLength", "maxLength", "pattern"],
            "number" or "integer" => ["minimum", "maximum"],
            "array" => ["maxItems", "items"],
            _ => [],
        };
        var misplaced = schema.Select(p => p.Key)
            .FirstOrDefault(k => k is not ("type" or "title" or "description" or "enum") && !allowed.Contains(k, StringComparer.Ordinal));
        if (misplaced is not null)
        {
            error = $"{path}: \"{misplaced}\" does not apply to {(type is null ? "a schema without a type" : $"type {type}")}.";
            return null;
        }

        var properties = ImmutableDictionary<string, Node>.Empty;
        if (schema["properties"] is { } ps)
        {
            if (ps is not JsonObject props || props.Count > MaxProperties)
            {
                error = $"{path}: properties must be an object of at most {MaxProperties} schemas.";
                return null;
            }

            var builder = ImmutableDictionary.CreateBuilder<string, Node>(StringComparer.Ordinal);
            foreach (var (name, sub) in props)
            {
                if (name.Length is 0 or > 128)
                {
                    error = $"{path}: property names are 1 to 128 characters.";
                    return null;
                }

                if (sub is not JsonObject subSchema || Read(subSchema, $"{path}.properties.{Trim(name)}", depth + 1, out error) is not { } node)
                {
                    error ??= $"{path}.properties.{Trim(name)}: must be a schema (a JSON object).";
                    return null;
                }

                builder[name] = node;
            }

            properties = builder.ToImmutable();
        }

        var required = ImmutableArray<string>.Empty;
        if (schema["required"] is { } rs)
        {
            if (rs is not JsonArray list || list.Count > MaxProperties
                || list.Any(r => r is not JsonValue rv || !rv.TryGetValue<string>(out var name) || !properties.ContainsKey(name)))
            {
                error = $"{path}: required must be an array of names listed in properties.";
                return null;
            }

            required = [.. list.Select(r => r!.GetValue<string>()).Distinct(StringComparer.Ordinal)];
        }

        var additional = true;
        if (schema["additionalProperties"] is { } ap)
        {
            if (ap is not JsonValue av || !av.TryGetValue<bool>(out additional))
            {
                error = $"{path}: additionalProperties must be true or false (a schema there is not supported).";
                return null;
            }
        }

        ImmutableArray<JsonValue>? values = null;
        if (schema.TryGetPropertyValue("enum", out var e))
        {
            if (e is not JsonArray list || list.Count is 0 or > MaxEnumValues
                || list.Any(v => v is not JsonValue jv || jv.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)))
            {
                error = $"{path}: enum must be 1 to {MaxEnumValues} strings, numbers or booleans.";
                return null;
            }

            values = [.. list.Select(v => (JsonValue)v!.DeepClone())];
        }

        if (!Count(schema, "minLength", path, out var minLength, out error) || !Count(schema, "maxLength", path, out var maxLength, out error)
            || !Count(schema, "maxItems", path, out var maxItems, out error)
            || !Bound(schema, "minimum", path, out var minimum, out error) || !Bound(schema, "maximum", path, out var maximum, out error))
        {
            return null;
        }

        Node? items = null;
        if (schema["items"] is { } its)
        {
            if (its is not JsonObject itemSchema || Read(itemSchema, $"{path}.items", depth + 1, out error) is not { } node)
            {
                error ??= $"{path}.items: must be a schema (a JSON object).";
                return null;
            }

            items = node;
        }

        string? pattern = null;
        if (schema["pattern"] is { } pn)
        {
            if (pn is not JsonValue pv || !pv.TryGetValue<string>(out pattern) || pattern.Length is 0 or > MaxPatternLength)
            {
                error = $"{path}: pattern must be a regular expression of 1 to {MaxPatternLength} characters.";
                return null;
            }

            try
            {
                _ = new Regex(pattern, PatternOptions, PatternTimeout);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                error = $"{path}: pattern is not a regular expression this subset runs (no backreferences, lookarounds or atomic groups).";
                return null;
            }
        }

        return new Node(type, properties, required, additional, values, minLength, maxLength, minimum, maximum, maxItems, items, pattern);
    }

    private static bool Count(JsonObject schema, string keyword, string path, out int? value, out string? error)
    {
        value = null;
        error = null;
        if (schema[keyword] is not { } node)
        {
            return true;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d >= 0 && d <= 1_000_000 && Math.Floor(d) == d)
        {
            value = (int)d;
            return true;
        }

        error = $"{path}: {keyword} must be a whole number from 0 to 1000000.";
        return false;
    }

    private static bool Bound(JsonObject schema, string keyword, string path, out double? value, out string? error)
    {
        value = null;
        error = null;
        if (schema[keyword] is not { } node)
        {
            return true;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d))
        {
            value = d;
            return true;
        }

        error = $"{path}: {keyword} must be a finite number.";
        return false;
    }
}

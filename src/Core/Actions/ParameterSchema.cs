using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Autonomy.Actions;

/// <summary>
/// A small, bounded subset of JSON Schema for an action type's parameters: <c>type</c> (object, string, number,
/// integer, boolean, array), <c>properties</c>, <c>required</c>, <c>additionalProperties</c> (a boolean),
/// <c>enum</c> (scalars), <c>minLength</c>/<c>maxLength</c> (in code points), <c>minimum</c>/<c>maximum</c>
/// (inclusive), <c>maxItems</c>, <c>items</c> and <c>pattern</c> (an unanchored search, run without backtracking and
/// under <see cref="PatternTimeout"/>), plus <c>title</c> and <c>description</c> as annotations. Anything else is
/// refused when the schema is read, so a schema never means more than this validator checks. Pure: no I/O.
/// </summary>
public sealed class ParameterSchema
{
    public const int MaxSchemaBytes = 16 * 1024;
    public const int MaxDepth = 8;
    public const int MaxProperties = 64;
    public const int MaxEnumValues = 64;
    public const int MaxPatternLength = 256;

    /// <summary>How long one pattern may run over one string before the value is refused.</summary>
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    private const RegexOptions PatternOptions = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    private static readonly ImmutableHashSet<string> Keywords = ImmutableHashSet.Create(
        StringComparer.Ordinal,
        "type", "properties", "required", "additionalProperties", "enum", "minLength", "maxLength", "minimum", "maximum", "maxItems", "items", "pattern", "title", "description");

    private static readonly ImmutableHashSet<string> Types = ImmutableHashSet.Create(StringComparer.Ordinal, "object", "string", "number", "integer", "boolean", "array");

    private readonly Node _root;

    private ParameterSchema(Node root, string canonical)
    {
        _root = root;
        Canonical = canonical;
    }

    /// <summary>The schema as canonical JSON text (sorted keys, no whitespace): how it is stored and compared.</summary>
    public string Canonical { get; }

    /// <summary>Reads a schema from JSON text; null with <paramref name="error"/> saying what is wrong and where.</summary>
    public static ParameterSchema? Parse(string? json, out string? error)
    {
        if (json is null || Encoding.UTF8.GetByteCount(json) > MaxSchemaBytes)
        {
            error = $"the schema must be a JSON object of at most {MaxSchemaBytes} bytes.";
            return null;
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            error = "the schema is not JSON.";
            return null;
        }

        return Parse(node, out error);
    }

    /// <summary>Reads a schema; its root must be <c>{"type":"object",...}</c>. Null with <paramref name="error"/> when it is outside the subset.</summary>
    public static ParameterSchema? Parse(JsonNode? node, out string? error)
    {
        if (node is not JsonObject root)
        {
            error = "the schema must be a JSON object.";
            return null;
        }

        var canonical = ArgsDigest.Canonical(root);
        if (Encoding.UTF8.GetByteCount(canonical) > MaxSchemaBytes)
        {
            error = $"the schema must be at most {MaxSchemaBytes} bytes.";
            return null;
        }

        // Read from its own text, so values built in code and parsed ones compare alike.
        var compiled = Read(JsonNode.Parse(canonical)!.AsObject(), "(root)", 1, out error);
        if (compiled is null)
        {
            return null;
        }

        if (compiled.Type != "object")
        {
            error = "the schema's root must have \"type\":\"object\" (parameters are a JSON object).";
            return null;
        }

        return new ParameterSchema(compiled, canonical);
    }

    /// <summary>Checks parameters against the schema: null when they conform, else the first violation with its path.</summary>
    public string? Validate(JsonNode? parameters) => Check(_root, parameters is null ? null : JsonNode.Parse(parameters.ToJsonString()), "parameters");

    /// <summary>Checks parameters given as JSON text; text that is not JSON does not conform.</summary>
    public string? Validate(string parameters)
    {
        try
        {
            return Check(_root, JsonNode.Parse(parameters), "parameters");
        }
        catch (JsonException)
        {
            return "parameters are not JSON.";
        }
    }

    public override string ToString() => Canonical;

    private sealed record Node(
        string? Type,
        ImmutableDictionary<string, Node> Properties,
        ImmutableArray<string> Required,
        bool AdditionalProperties,
        ImmutableArray<JsonValue>? Enum,
        int? MinLength,
        int? MaxLength,
        double? Minimum,
        double? Maximum,
        int? MaxItems,
        Node? Items,
        string? Pattern);

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

    private static string? Check(Node schema, JsonNode? value, string path)
    {
        if (schema.Type is { } type && !IsOfType(value, type))
        {
            return $"{path} must be {(type is "object" or "array" or "integer" ? "an " : "a ")}{type}.";
        }

        if (schema.Enum is { } values && !values.Any(v => SameScalar(v, value)))
        {
            return $"{path} must be one of {Trim(string.Join(", ", values.Select(v => v.ToJsonString())))}.";
        }

        return value switch
        {
            JsonObject obj => CheckObject(schema, obj, path),
            JsonArray array => CheckArray(schema, array, path),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => CheckString(schema, v.GetValue<string>(), path),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => CheckNumber(schema, v, path),
            _ => null,
        };
    }

    private static string? CheckObject(Node schema, JsonObject obj, string path)
    {
        if (schema.Type != "object")
        {
            return null;
        }

        foreach (var name in schema.Required)
        {
            if (!obj.ContainsKey(name))
            {
                return $"{path}.{Trim(name)} is required.";
            }
        }

        foreach (var (name, value) in obj)
        {
            if (schema.Properties.TryGetValue(name, out var sub))
            {
                if (Check(sub, value, $"{path}.{Trim(name)}") is { } error)
                {
                    return error;
                }
            }
            else if (!schema.AdditionalProperties)
            {
                return $"{path}.{Trim(name)} is not a parameter of this action type.";
            }
        }

        return null;
    }

    private static string? CheckArray(Node schema, JsonArray array, string path)
    {
        if (schema.Type != "array")
        {
            return null;
        }

        if (schema.MaxItems is { } max && array.Count > max)
        {
            return $"{path} must have at most {max} items.";
        }

        if (schema.Items is { } items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (Check(items, array[i], $"{path}[{i}]") is { } error)
                {
                    return error;
                }
            }
        }

        return null;
    }

    private static string? CheckString(Node schema, string text, string path)
    {
        if (schema.MinLength is null && schema.MaxLength is null && schema.Pattern is null)
        {
            return null;
        }

        var length = text.EnumerateRunes().Count();
        if (schema.MinLength is { } min && length < min)
        {
            return $"{path} must be at least {min} characters.";
        }

        if (schema.MaxLength is { } max && length > max)
        {
            return $"{path} must be at most {max} characters.";
        }

        if (schema.Pattern is { } pattern)
        {
            try
            {
                if (!Regex.IsMatch(text, pattern, PatternOptions, PatternTimeout))
                {
                    return $"{path} does not match the pattern {Trim(pattern)}.";
                }
            }
            catch (RegexMatchTimeoutException)
            {
                return $"{path} could not be checked against its pattern in time.";
            }
        }

        return null;
    }

    private static string? CheckNumber(Node schema, JsonValue value, string path)
    {
        if (schema.Minimum is null && schema.Maximum is null)
        {
            return null;
        }

        if (!value.TryGetValue<double>(out var number) || !double.IsFinite(number))
        {
            return $"{path} must be a finite number.";
        }

        if (schema.Minimum is { } min && number < min)
        {
            return $"{path} must be at least {min.ToString(CultureInfo.InvariantCulture)}.";
        }

        if (schema.Maximum is { } max && number > max)
        {
            return $"{path} must be at most {max.ToString(CultureInfo.InvariantCulture)}.";
        }

        return null;
    }

    private static bool IsOfType(JsonNode? value, string type) => type switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d),
        "integer" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d) && Math.Floor(d) == d,
        _ => false,
    };

    private static bool SameScalar(JsonValue expected, JsonNode? actual)
    {
        if (actual is not JsonValue a)
        {
            return false;
        }

        var kind = expected.GetValueKind();
        return kind switch
        {
            JsonValueKind.String => a.GetValueKind() == JsonValueKind.String && string.Equals(expected.GetValue<string>(), a.GetValue<string>(), StringComparison.Ordinal),
            JsonValueKind.Number => a.GetValueKind() == JsonValueKind.Number && a.TryGetValue<double>(out var x) && expected.TryGetValue<double>(out var y) && x == y,
            _ => a.GetValueKind() == kind,
        };
    }

    private static string Trim(string text) => text.Length <= 80 ? text : text[..80] + "...";
}

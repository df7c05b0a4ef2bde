using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Autonomy.Actions;

// Checking parameters against the compiled Node tree: the first violation, with its path, or null.
public sealed partial class ParameterSchema
{
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
}

using System.Collections.Immutable;
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
public sealed partial class ParameterSchema
{
    public const int MaxSchemaBytes = 16 * 1024;
    public const int MaxDepth = 8;
    public const int MaxProperties = 64;
    public const int MaxEnumValues = 64;
    public const int MaxPatternLength = 256;

    /// <summary>How long one pattern may run over one string before the value is refused.</summary>
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    private const RegexOptions PatternOptions = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

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

    private static string Trim(string text) => text.Length <= 80 ? text : text[..80] + "...";
}

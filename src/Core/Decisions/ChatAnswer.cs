using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Actions;

namespace Autonomy.Decisions;

/// <summary>
/// What the chat engine asks for and how its answer is judged: the answer's JSON schema and the validation of every
/// proposal in it. Pure: no client, no clock; <see cref="ChatEngine"/> calls it with the text the endpoint returned.
/// </summary>
public static class ChatAnswer
{
    public const int MaxRationale = 2000;
    public const int MaxInputsUsed = 64;
    public const int MaxFreeJsonBytes = 16 * 1024;
    public const int MaxFreeJsonDepth = 8;

    /// <summary>The answer's JSON schema (the action types as an enum; parameters as JSON text, so strict modes accept it).</summary>
    public static JsonElement Schema(IEnumerable<string> actionTypes)
    {
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["proposals"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject
                        {
                            ["actionType"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. actionTypes.Select(t => (JsonNode)t)]) },
                            ["parameters"] = new JsonObject { ["type"] = "string", ["description"] = "A JSON object, as text." },
                            ["confidence"] = new JsonObject { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 1 },
                            ["rationale"] = new JsonObject { ["type"] = "string" },
                            ["inputsUsed"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
                        },
                        ["required"] = new JsonArray("actionType", "parameters", "confidence", "rationale", "inputsUsed"),
                        ["additionalProperties"] = false,
                    },
                },
            },
            ["required"] = new JsonArray("proposals"),
            ["additionalProperties"] = false,
        };
        return JsonSerializer.SerializeToElement(schema);
    }

    /// <summary>The result of validating an answer: an error for a malformed one, else the proposals taken and those rejected.</summary>
    public sealed record Validated(string? Error, ImmutableArray<ProposedAction> Proposals, ImmutableArray<RejectedProposal> Rejected);

    /// <summary>
    /// Validates an answer. Malformed (not a JSON object with a <c>proposals</c> array): rejected whole. Each
    /// proposal on its own: an action type not offered (<c>UNKNOWN_ACTION_TYPE</c>), parameters that are not a JSON
    /// object within 16 KiB and 8 levels (<c>BAD_PARAMETERS</c>), a confidence outside 0..1 (<c>BAD_CONFIDENCE</c>),
    /// an entry that is not an object (<c>MALFORMED_PROPOSAL</c>), the same action and parameters again
    /// (<c>DUPLICATE</c>) or beyond the maximum (<c>TOO_MANY_PROPOSALS</c>) is rejected and the others are taken.
    /// </summary>
    public static Validated Parse(string? text, IReadOnlySet<string> actionTypes, int maxProposals)
    {
        ArgumentNullException.ThrowIfNull(actionTypes);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(Unfenced(text ?? string.Empty));
        }
        catch (JsonException ex)
        {
            return new($"The answer is not JSON: {Trim(ex.Message, 200)}", [], []);
        }

        if (root is not JsonObject obj || obj["proposals"] is not JsonArray items)
        {
            return new("The answer is not an object with a \"proposals\" array.", [], []);
        }

        var taken = ImmutableArray.CreateBuilder<ProposedAction>();
        var rejected = ImmutableArray.CreateBuilder<RejectedProposal>();
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i] as JsonObject;
            var type = item?["actionType"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : null;
            if (i >= maxProposals)
            {
                rejected.Add(new(i, type, "TOO_MANY_PROPOSALS", $"At most {maxProposals} proposals are taken from one answer."));
                continue;
            }

            if (item is null)
            {
                rejected.Add(new(i, null, "MALFORMED_PROPOSAL", "The proposal is not a JSON object."));
                continue;
            }

            if (type is null || !actionTypes.Contains(type))
            {
                rejected.Add(new(i, type, "UNKNOWN_ACTION_TYPE", type is null ? "The proposal names no action type." : $"{Trim(type, 80)} is not an action type offered to the engine."));
                continue;
            }

            if (ParametersOf(item["parameters"]) is not { } parameters)
            {
                rejected.Add(new(i, type, "BAD_PARAMETERS", $"parameters must be a JSON object (or its text) of at most {MaxFreeJsonBytes} bytes and {MaxFreeJsonDepth} levels."));
                continue;
            }

            var confidence = item["confidence"] is JsonValue cv && cv.TryGetValue<double>(out var c) ? c : double.NaN;
            if (!(confidence >= 0 && confidence <= 1))
            {
                rejected.Add(new(i, type, "BAD_CONFIDENCE", "confidence must be a number from 0 to 1."));
                continue;
            }

            var canonical = ArgsDigest.Canonical(parameters);
            if (!seen.Add((type, canonical)))
            {
                rejected.Add(new(i, type, "DUPLICATE", "The same action with the same parameters was proposed earlier in the answer."));
                continue;
            }

            var rationale = item["rationale"] is JsonValue rv && rv.TryGetValue<string>(out var r) ? Trim(r, MaxRationale) : "Proposed by the chat engine.";
            var inputs = item["inputsUsed"] is JsonArray used
                ? used.Select(u => u is JsonValue uv && uv.TryGetValue<string>(out var s) ? Trim(s, 200) : null).OfType<string>().Take(MaxInputsUsed).ToImmutableArray()
                : [];
            taken.Add(new ProposedAction(type, canonical, confidence, rationale, inputs));
        }

        return new(null, taken.ToImmutable(), rejected.ToImmutable());
    }

    private static JsonObject? ParametersOf(JsonNode? node)
    {
        var value = node;
        if (node is JsonValue v && v.TryGetValue<string>(out var text))
        {
            try
            {
                value = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        if (value is not JsonObject obj || Depth(obj) > MaxFreeJsonDepth || Encoding.UTF8.GetByteCount(obj.ToJsonString()) > MaxFreeJsonBytes)
        {
            return null;
        }

        return obj;
    }

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray a => 1 + a.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    /// <summary>An answer wrapped in a Markdown code fence (some models do, outside strict mode) is read inside it.</summary>
    private static string Unfenced(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith("```", StringComparison.Ordinal))
        {
            return t;
        }

        var start = t.IndexOf('\n', StringComparison.Ordinal);
        var end = t.LastIndexOf("```", StringComparison.Ordinal);
        return start > 0 && end > start ? t[(start + 1)..end].Trim() : t;
    }

    public static JsonNode? ParseOrNull(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    public static string Trim(string text, int max) => text.Length <= max ? text : text[..max];
}

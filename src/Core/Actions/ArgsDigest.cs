using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Autonomy.Actions;

/// <summary>
/// Action parameters travel as canonical JSON text (object keys in ordinal order, no whitespace), so the
/// same payload always has the same bytes, and the argument digest binds an approval to exactly what the
/// seller saw: the account, the action type and those bytes.
/// </summary>
public static class ArgsDigest
{
    public static string Compute(string accountId, string actionType, string canonicalParameters)
    {
        var bytes = Encoding.UTF8.GetBytes($"{accountId.Length}:{accountId}|{actionType.Length}:{actionType}|{canonicalParameters}");
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>Canonical JSON text of a parameters object; null becomes <c>{}</c>.</summary>
    public static string Canonical(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer, node ?? new JsonObject());
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Re-canonicalises JSON text (for parameters that arrive as text).</summary>
    public static string Canonical(string json) => Canonical(JsonNode.Parse(json));

    private static void WriteCanonical(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteCanonical(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}

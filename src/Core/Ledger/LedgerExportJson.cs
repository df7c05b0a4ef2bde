using System.Text.Json;

namespace Autonomy.Ledger;

/// <summary>
/// The entry line of an NDJSON export: the entry's fields with <c>payload</c> written exactly as stored, byte for
/// byte. The hash covers the stored payload text, and a JSON writer re-encoding it (escaping <c>+</c>, quotes or
/// non-ASCII text its own way) would hand an offline verifier a payload that no longer hashes to the entry's hash.
/// <see cref="LedgerExportVerifier"/> reads the line back.
/// </summary>
public static class LedgerExportJson
{
    /// <summary>Writes one entry line (one JSON object, no newline).</summary>
    public static void WriteEntryLine(Utf8JsonWriter writer, LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entry);
        writer.WriteStartObject();
        writer.WriteString("entryId", entry.EntryId);
        writer.WriteString("tenantId", entry.TenantId);
        writer.WriteString("streamId", entry.StreamId);
        writer.WriteNumber("seq", entry.Seq);
        writer.WriteString("runId", entry.RunId);
        writer.WriteString("type", entry.Type);
        writer.WriteString("at", entry.At);
        writer.WriteString("actor", entry.Actor);
        writer.WritePropertyName("payload");
        WritePayload(writer, entry.Payload);
        writer.WriteString("prevHash", entry.PrevHash);
        writer.WriteString("hash", entry.Hash);
        writer.WriteEndObject();
    }

    private static void WritePayload(Utf8JsonWriter writer, string payload)
    {
        if (string.IsNullOrEmpty(payload))
        {
            writer.WriteNullValue();
            return;
        }

        if (IsJson(payload))
        {
            writer.WriteRawValue(payload, skipInputValidation: true);
            return;
        }

        // Not JSON (a store edited by hand): exported as a string, so the line stays JSON and the entry fails its hash.
        writer.WriteStringValue(payload);
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

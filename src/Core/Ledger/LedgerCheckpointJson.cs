using System.Collections.Immutable;
using System.Text.Json;

namespace Autonomy.Ledger;

/// <summary>
/// The JSON of checkpoints: the <c>heads</c> column of <c>ledger_checkpoints</c> (an array of
/// <c>{"streamId","seq","hash"}</c>) and the checkpoint line of an NDJSON export
/// (<c>{"kind":"checkpoint","type":"LEDGER_CHECKPOINT",...}</c>). Neither is what is signed: the signature is over
/// <see cref="LedgerCheckpoints.CanonicalBytes"/>, recomputed from the parsed fields.
/// </summary>
public static class LedgerCheckpointJson
{
    /// <summary>The <c>kind</c> of a checkpoint line in an export (entry lines have no <c>kind</c>).</summary>
    public const string CheckpointKind = "checkpoint";

    /// <summary>The <c>kind</c> of the witness line in an export: the last checkpoint its writer wrote.</summary>
    public const string WitnessKind = "checkpointWitness";

    /// <summary>
    /// The <c>type</c> of a checkpoint line, so a reader that selects entry lines by their <c>type</c> passes it by
    /// (no ledger entry has this type: checkpoints are not entries).
    /// </summary>
    public const string CheckpointType = "LEDGER_CHECKPOINT";

    /// <summary>The <c>type</c> of the witness line.</summary>
    public const string WitnessType = "LEDGER_CHECKPOINT_WITNESS";

    /// <summary>The heads as stored.</summary>
    public static string Heads(ImmutableArray<LedgerCheckpointHead> heads)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteHeads(writer, heads);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parses stored heads; text that is not a heads array is refused.</summary>
    /// <exception cref="FormatException">The text is not a heads array.</exception>
    public static ImmutableArray<LedgerCheckpointHead> ParseHeads(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return ReadHeads(document.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new FormatException("The checkpoint heads are not an array of {streamId, seq, hash}.", ex);
        }
    }

    /// <summary>Writes the export line of a checkpoint (one JSON object, no newline).</summary>
    public static void WriteLine(Utf8JsonWriter writer, LedgerCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(checkpoint);
        writer.WriteStartObject();
        writer.WriteString("kind", CheckpointKind);
        writer.WriteString("type", CheckpointType);
        writer.WriteString("checkpointId", checkpoint.CheckpointId);
        writer.WriteString("tenantId", checkpoint.TenantId);
        writer.WriteNumber("seq", checkpoint.Seq);
        writer.WriteString("at", LedgerHash.FormatTime(checkpoint.At));
        writer.WritePropertyName("heads");
        WriteHeads(writer, checkpoint.Heads);
        writer.WriteNumber("streamCount", checkpoint.StreamCount);
        writer.WriteString("merkleRoot", checkpoint.MerkleRoot);
        writer.WriteString("prevHash", checkpoint.PrevHash);
        writer.WriteString("keyId", checkpoint.KeyId);
        if (checkpoint.Algorithm is { } algorithm)
        {
            writer.WriteString("alg", algorithm);
        }

        writer.WriteString("hash", checkpoint.Hash);
        writer.WriteString("signature", checkpoint.Signature);
        writer.WriteEndObject();
    }

    /// <summary>Writes the export line of a witness.</summary>
    public static void WriteWitnessLine(Utf8JsonWriter writer, string tenantId, LedgerCheckpointWitness witness)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(witness);
        writer.WriteStartObject();
        writer.WriteString("kind", WitnessKind);
        writer.WriteString("type", WitnessType);
        writer.WriteString("tenantId", tenantId);
        writer.WriteNumber("seq", witness.Seq);
        writer.WriteString("hash", witness.Hash);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads a checkpoint line of an export. Its <c>alg</c> (written since checkpoints are signed with P-256; absent in
    /// older exports) must be the one its signature's form shows; the verifier goes by its own key all the same.
    /// </summary>
    /// <exception cref="FormatException">A field is missing or of the wrong type, or <c>alg</c> contradicts the signature.</exception>
    public static LedgerCheckpoint ReadLine(JsonElement line)
    {
        LedgerCheckpoint checkpoint;
        try
        {
            checkpoint = new LedgerCheckpoint(
                line.GetProperty("checkpointId").GetString()!,
                line.GetProperty("tenantId").GetString()!,
                line.GetProperty("seq").GetInt64(),
                LedgerHash.ParseTime(line.GetProperty("at").GetString()!),
                ReadHeads(line.GetProperty("heads")),
                line.GetProperty("streamCount").GetInt64(),
                line.GetProperty("merkleRoot").GetString()!,
                line.GetProperty("prevHash").GetString()!,
                line.GetProperty("keyId").GetString()!,
                line.GetProperty("hash").GetString()!,
                line.GetProperty("signature").GetString()!);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or FormatException or NullReferenceException)
        {
            throw new FormatException("A checkpoint line lacks a field or has one of the wrong type.", ex);
        }

        if (line.TryGetProperty("alg", out var alg) && (alg.ValueKind != JsonValueKind.String || alg.GetString() != checkpoint.Algorithm))
        {
            throw new FormatException("A checkpoint line's alg is not the algorithm of its signature.");
        }

        return checkpoint;
    }

    private static void WriteHeads(Utf8JsonWriter writer, ImmutableArray<LedgerCheckpointHead> heads)
    {
        writer.WriteStartArray();
        foreach (var head in heads.IsDefault ? [] : heads)
        {
            writer.WriteStartObject();
            writer.WriteString("streamId", head.StreamId);
            writer.WriteNumber("seq", head.Seq);
            writer.WriteString("hash", head.Hash);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static ImmutableArray<LedgerCheckpointHead> ReadHeads(JsonElement array)
    {
        var heads = ImmutableArray.CreateBuilder<LedgerCheckpointHead>(array.GetArrayLength());
        foreach (var head in array.EnumerateArray())
        {
            heads.Add(new LedgerCheckpointHead(
                head.GetProperty("streamId").GetString() ?? throw new FormatException("A head's streamId is null."),
                head.GetProperty("seq").GetInt64(),
                head.GetProperty("hash").GetString() ?? throw new FormatException("A head's hash is null.")));
        }

        return heads.MoveToImmutable();
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Autonomy.Ledger;

/// <summary>
/// Verifies an NDJSON export of one tenant (<c>GET .../ledger/export</c>) with no server and no database, by the
/// same walk as the server (<see cref="LedgerVerifier"/>): entry lines are grouped by stream (ordered by the
/// UTF-8 bytes of the stream id, as the stores order them) and seq; <c>"kind":"checkpoint"</c> lines are the
/// checkpoint chain; a <c>"kind":"checkpointWitness"</c> line is the writer's last checkpoint. An entry's hash is
/// recomputed over its payload exactly as exported (compact JSON, as the ledger stores it) and its <c>at</c> in
/// the stored form. Holds the export in memory. An unfiltered export is needed: a time-filtered one lacks entries.
/// Unless <see cref="LedgerExportVerifyOptions.AllowUnsigned"/>, an export with entries but no checkpoint line is
/// <see cref="CheckpointsMissing"/>, and an entry no checkpoint covers that is older than
/// <see cref="LedgerExportVerifyOptions.MaxUncheckpointedAge"/> before the newest time the export shows (the moment
/// it was taken, as far as it tells) is <see cref="LedgerVerifier.CheckpointOverdue"/>.
/// </summary>
public static class LedgerExportVerifier
{
    /// <summary>A line that is not JSON, lacks a field, or belongs to another tenant.</summary>
    public const string ExportMalformed = "export malformed";

    /// <summary>An export with entries and no checkpoint: stripped of its trailer, or of a tenant never checkpointed.</summary>
    public const string CheckpointsMissing = "checkpoints missing";

    /// <summary>Verifies the export read from <paramref name="ndjson"/> by the default rules; <paramref name="keys"/> null checks everything but signatures.</summary>
    public static Task<LedgerVerification> VerifyAsync(TextReader ndjson, LedgerCheckpointKeyring? keys, CancellationToken cancellationToken = default) =>
        VerifyAsync(ndjson, keys, new LedgerExportVerifyOptions(), cancellationToken);

    /// <summary>Verifies the export read from <paramref name="ndjson"/>; <paramref name="keys"/> null checks everything but signatures.</summary>
    public static async Task<LedgerVerification> VerifyAsync(
        TextReader ndjson, LedgerCheckpointKeyring? keys, LedgerExportVerifyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ndjson);
        ArgumentNullException.ThrowIfNull(options);
        var entries = new List<StoredLedgerEntry>();
        var checkpoints = new List<LedgerCheckpoint>();
        LedgerCheckpointWitness? witness = null;
        string? tenant = null;
        var number = 0;
        while (await ndjson.ReadLineAsync(cancellationToken) is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var kind = root.TryGetProperty("kind", out var k) ? k.GetString() : null;
                var lineTenant = root.GetProperty("tenantId").GetString() ?? throw new FormatException("tenantId is null");
                if ((tenant ??= lineTenant) != lineTenant)
                {
                    return Malformed(number);
                }

                switch (kind)
                {
                    case null:
                        entries.Add(ReadEntry(root));
                        break;
                    case LedgerCheckpointJson.CheckpointKind:
                        checkpoints.Add(LedgerCheckpointJson.ReadLine(root));
                        break;
                    case LedgerCheckpointJson.WitnessKind:
                        witness = new LedgerCheckpointWitness(root.GetProperty("seq").GetInt64(), root.GetProperty("hash").GetString()!);
                        break;
                    default:
                        return Malformed(number);
                }
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
            {
                return Malformed(number);
            }
        }

        entries.Sort((a, b) => LedgerCheckpoints.CompareStreamIds(a.StreamId, b.StreamId) is var c and not 0 ? c : a.Seq.CompareTo(b.Seq));
        checkpoints.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        if (options.AllowUnsigned)
        {
            return await LedgerVerifier.VerifyAsync(ToAsync(entries), ToAsync(checkpoints), keys, witness, null, cancellationToken);
        }

        if (checkpoints.Count == 0 && entries.Count > 0)
        {
            // Stripped of its trailer: the chains may be intact, but nothing signed says they are whole.
            var chains = await LedgerVerifier.VerifyAsync(ToAsync(entries), ToAsync(checkpoints), keys, witness, null, cancellationToken);
            return chains.Ok ? chains with { Ok = false, Problem = CheckpointsMissing } : chains;
        }

        // As of the newest time the export shows: what was young when it was taken stays "not yet checkpointed".
        var newest = entries.Select(e => LedgerHash.ParseTime(e.At)).Concat(checkpoints.Select(c => c.At)).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
        var coverage = new LedgerCoverageRule(newest, options.MaxUncheckpointedAge);
        return await LedgerVerifier.VerifyAsync(ToAsync(entries), ToAsync(checkpoints), keys, witness, coverage, cancellationToken);
    }

    private static LedgerVerification Malformed(int line) =>
        new(false, 0, $"line {line.ToString(CultureInfo.InvariantCulture)}", ExportMalformed);

    private static StoredLedgerEntry ReadEntry(JsonElement e)
    {
        var payload = e.GetProperty("payload");
        return new StoredLedgerEntry(
            EntryId: Text(e, "entryId"),
            TenantId: Text(e, "tenantId"),
            StreamId: Text(e, "streamId"),
            Seq: e.GetProperty("seq").GetInt64(),
            RunId: e.TryGetProperty("runId", out var run) && run.ValueKind != JsonValueKind.Null ? run.GetString() : null,
            Type: Text(e, "type"),
            At: LedgerHash.FormatTime(e.GetProperty("at").GetDateTimeOffset()),
            Actor: Text(e, "actor"),
            Payload: payload.ValueKind == JsonValueKind.Null ? "" : payload.GetRawText(),
            PrevHash: Text(e, "prevHash"),
            Hash: Text(e, "hash"));
    }

    private static string Text(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new FormatException($"{name} is null");

#pragma warning disable CS1998 // Lists as async streams.
    private static async IAsyncEnumerable<T> ToAsync<T>(List<T> items, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
        }
    }
#pragma warning restore CS1998
}

/// <summary>How <see cref="LedgerExportVerifier"/> judges an export beyond its chains.</summary>
public sealed record LedgerExportVerifyOptions
{
    /// <summary>The default <see cref="MaxUncheckpointedAge"/>: three of the default one-minute checkpoint intervals.</summary>
    public static readonly TimeSpan DefaultMaxUncheckpointedAge = TimeSpan.FromMinutes(LedgerCoverageRule.DefaultIntervals);

    /// <summary>
    /// An unsigned check, asked for explicitly (<c>verify-export --allow-unsigned</c>): an export without checkpoints
    /// passes on its hash chains alone, and uncovered entries of any age only count as not yet checkpointed.
    /// Checkpoints that are there are still checked.
    /// </summary>
    public bool AllowUnsigned { get; init; }

    /// <summary>How long before the newest time the export shows an entry may be covered by no checkpoint.</summary>
    public TimeSpan MaxUncheckpointedAge { get; init; } = DefaultMaxUncheckpointedAge;
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Hosting;
using Autonomy.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Apis;

/// <summary>The audit ledger: read, explain a run, export NDJSON, verify the hash chains (auditor, admin).</summary>
public static class LedgerApi
{
    /// <summary>A run is a handful of steps; this bounds what one explanation reads.</summary>
    private const int MaxRunEntries = 10_000;

    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public static RouteGroupBuilder MapLedgerApi(this IEndpointRouteBuilder app)
    {
        var ledger = app.MapGroup("/v1/tenants/{tenantId}/ledger")
            .WithTags("Ledger")
            .RequireAuthorization(Access.Tenant, Access.Ledger)
            .AddEndpointFilter<RouteValuesFilter>();

        ledger.MapGet("", Query).WithName("QueryLedger").WithSummary("Entries, oldest first, filtered, with a nextCursor.");
        ledger.MapGet("/runs/{runId}/explanation", Explain).WithName("ExplainRun").WithSummary("Why, what it knew, which policy: one decision run.");
        ledger.MapGet("/export", Export).WithName("ExportLedger").WithSummary("NDJSON stream of entries, oldest first, then the signed checkpoints (\"kind\":\"checkpoint\").");
        ledger.MapGet("/verify", Verify).WithName("VerifyLedger").WithSummary("Walks the hash chains and the signed checkpoints; names the first problem (a broken entry, a cut tail, a forged checkpoint).");
        return ledger;
    }

    public static async Task<Results<Ok<ItemsResponse<LedgerEntryResponse>>, ValidationProblem>> Query(
        string tenantId, string? accountId, string? runId, string? type, string? from, string? to, string? limit, string? cursor,
        ILedger ledger, CancellationToken cancellationToken)
    {
        var v = new Validation();
        v.Key(accountId, "accountId", required: false);
        v.Key(runId, "runId", required: false);
        v.Name(type, "type", required: false);
        var since = v.Instant(from, "from");
        var until = v.Instant(to, "to");
        var size = v.Limit(limit);
        v.LedgerPageCursor(cursor);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var page = await ledger.QueryAsync(new LedgerQuery(tenantId, accountId, runId, type, since, until, size, cursor), cancellationToken);
        return TypedResults.Ok(new ItemsResponse<LedgerEntryResponse>(page.Items.Select(LedgerEntryResponse.From).ToList(), page.NextCursor));
    }

    public static async Task<Results<Ok<RunExplanation>, NotFound>> Explain(
        string tenantId, string runId, ILedger ledger, CancellationToken cancellationToken)
    {
        var entries = new List<LedgerEntry>();
        string? cursor = null;
        do
        {
            var page = await ledger.QueryAsync(new LedgerQuery(tenantId, RunId: runId, Limit: 1000, Cursor: cursor), cancellationToken);
            entries.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null && entries.Count < MaxRunEntries);

        return RunExplanation.Build(runId, entries) is { } explanation ? TypedResults.Ok(explanation) : TypedResults.NotFound();
    }

    /// <summary>
    /// Entry lines (unchanged, oldest first), then every checkpoint of the tenant as a line with
    /// <c>"kind":"checkpoint"</c>, then, when the checkpoint writer has written one, a <c>"kind":"checkpointWitness"</c>
    /// line (its last checkpoint). The witness and the last checkpoint's seq are read before the entries and only the
    /// checkpoints up to that seq follow them, so the entries are never older than the checkpoints: <c>verify-export</c>
    /// of an unfiltered export answers as verify did. Entries and checkpoints are streamed, never held in memory.
    /// </summary>
    public static Results<PushStreamHttpResult, ValidationProblem> Export(
        string tenantId, string? from, string? to, ILedger ledger, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var v = new Validation();
        var since = v.Instant(from, "from");
        var until = v.Instant(to, "to");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        return TypedResults.Stream(
            async body =>
            {
                // The checkpoints written so far, fixed before the entries are read, so every checkpoint in the export
                // covers entries in it; they are streamed after the entries up to that seq, never held in memory.
                var witness = await grains.GetGrain<ILedgerCheckpointGrain>(tenantId).GetWitnessAsync();
                var through = (await ledger.ReadLastCheckpointAsync(tenantId, cancellationToken))?.Checkpoint.Seq ?? 0;

                var written = 0;
                await using (var writer = new Utf8JsonWriter(body))
                {
                    await foreach (var entry in ledger.ExportAsync(tenantId, since, until, cancellationToken))
                    {
                        LedgerExportJson.WriteEntryLine(writer, entry);
                        await writer.FlushAsync(cancellationToken);
                        writer.Reset();
                        await body.WriteAsync(NewLine, cancellationToken);
                        if (++written % 256 == 0)
                        {
                            await body.FlushAsync(cancellationToken);
                        }
                    }

                    await foreach (var checkpoint in ledger.ReadCheckpointsAsync(tenantId, cancellationToken))
                    {
                        if (checkpoint.Seq > through)
                        {
                            break;
                        }

                        LedgerCheckpointJson.WriteLine(writer, checkpoint);
                        await writer.FlushAsync(cancellationToken);
                        writer.Reset();
                        await body.WriteAsync(NewLine, cancellationToken);
                    }

                    if (witness is not null)
                    {
                        LedgerCheckpointJson.WriteWitnessLine(writer, tenantId, witness);
                        await writer.FlushAsync(cancellationToken);
                        await body.WriteAsync(NewLine, cancellationToken);
                    }
                }
            },
            "application/x-ndjson");
    }

    /// <summary>
    /// Verifies against the checkpoints and the checkpoint writer's witness (its last checkpoint, kept outside the
    /// ledger store); an entry older than <c>Autonomy:Ledger:MaxUncheckpointedAge</c> that no checkpoint covers fails
    /// it (<c>checkpoint overdue</c>).
    /// </summary>
    public static async Task<Ok<LedgerVerifyResponse>> Verify(
        string tenantId, ILedger ledger, IGrainFactory grains, [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
        IOptions<LedgerCheckpointOptions> options, CancellationToken cancellationToken)
    {
        var witness = await grains.GetGrain<ILedgerCheckpointGrain>(tenantId).GetWitnessAsync();
        var coverage = new LedgerCoverageRule(time.GetUtcNow(), options.Value.UncheckpointedAgeLimit());
        var result = await ledger.VerifyAsync(tenantId, witness, coverage, cancellationToken);
        return TypedResults.Ok(LedgerVerifyResponse.From(result));
    }
}

/// <summary>
/// <c>{"ok":true,"entries":N,...}</c> or <c>{"ok":false,"firstBrokenEntryId":"...","problem":"...",...}</c>: the
/// fields of <see cref="LedgerVerification"/>. <c>entries</c> counts the intact entries, <c>checkpointedEntries</c>
/// those a signed checkpoint covers, <c>notYetCheckpointed</c> the rest (count, from, to; null when none).
/// </summary>
public sealed record LedgerVerifyResponse(
    bool Ok,
    long Entries,
    string? FirstBrokenEntryId,
    string? Problem,
    string? StreamId,
    long Checkpoints,
    DateTimeOffset? LastCheckpointAt,
    long CheckpointedEntries,
    LedgerUncheckpointedResponse? NotYetCheckpointed,
    bool SignaturesChecked)
{
    public static LedgerVerifyResponse From(LedgerVerification v) => new(
        v.Ok, v.Entries, v.FirstBrokenEntryId, v.Problem, v.StreamId, v.Checkpoints, v.LastCheckpointAt, v.CheckpointedEntries,
        v.NotYetCheckpointed is { } n ? new LedgerUncheckpointedResponse(n.Count, n.From, n.To) : null, v.SignaturesChecked);
}

/// <summary>Entries no checkpoint covers yet: how many, and the times of the oldest and the newest.</summary>
public sealed record LedgerUncheckpointedResponse(long Count, DateTimeOffset From, DateTimeOffset To);

/// <summary>A ledger entry; <c>payload</c> is the stored JSON as an object.</summary>
public sealed record LedgerEntryResponse(
    string EntryId,
    string TenantId,
    string StreamId,
    long Seq,
    string? RunId,
    string Type,
    DateTimeOffset At,
    string Actor,
    JsonNode? Payload,
    string PrevHash,
    string Hash)
{
    public static LedgerEntryResponse From(LedgerEntry e) =>
        new(e.EntryId, e.TenantId, e.StreamId, e.Seq, e.RunId, e.Type, e.At, e.Actor, GatewayJson.Node(e.Payload), e.PrevHash, e.Hash);
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
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
        ledger.MapGet("/export", Export).WithName("ExportLedger").WithSummary("NDJSON stream of entries, oldest first.");
        ledger.MapGet("/verify", Verify).WithName("VerifyLedger").WithSummary("Walks the hash chains and names the first broken entry.");
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
        v.MaxLength(cursor, "cursor", 512);
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

    public static Results<PushStreamHttpResult, ValidationProblem> Export(
        string tenantId, string? from, string? to, ILedger ledger, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var v = new Validation();
        var since = v.Instant(from, "from");
        var until = v.Instant(to, "to");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var options = json.Value.SerializerOptions;
        return TypedResults.Stream(
            async body =>
            {
                var written = 0;
                await foreach (var entry in ledger.ExportAsync(tenantId, since, until, cancellationToken))
                {
                    await JsonSerializer.SerializeAsync(body, LedgerEntryResponse.From(entry), options, cancellationToken);
                    await body.WriteAsync(NewLine, cancellationToken);
                    if (++written % 256 == 0)
                    {
                        await body.FlushAsync(cancellationToken);
                    }
                }
            },
            "application/x-ndjson");
    }

    public static async Task<Ok<LedgerVerifyResponse>> Verify(string tenantId, ILedger ledger, CancellationToken cancellationToken)
    {
        var result = await ledger.VerifyAsync(tenantId, cancellationToken);
        return TypedResults.Ok(new LedgerVerifyResponse(result.Ok, result.Entries, result.FirstBrokenEntryId, result.Problem));
    }
}

/// <summary><c>{"ok":true,"entries":N}</c> or <c>{"ok":false,"firstBrokenEntryId":"..."}</c>.</summary>
public sealed record LedgerVerifyResponse(bool Ok, long Entries, string? FirstBrokenEntryId, string? Problem);

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

using System.Security.Claims;
using Autonomy.Actions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Hosting;
using Autonomy.Sellers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Apis;

/// <summary>A seller's needs-input queue, timeline, digest and digest settings (admin, or that seller).</summary>
public static class SellersApi
{
    public static RouteGroupBuilder MapSellersApi(this IEndpointRouteBuilder app)
    {
        var seller = app.MapGroup("/v1/tenants/{tenantId}/sellers/{sellerId}")
            .WithTags("Sellers")
            .RequireAuthorization(Access.Tenant, Access.SellerSelf)
            .AddEndpointFilter<RouteValuesFilter>();

        seller.MapGet("/needs-input", GetNeedsInput).WithName("GetNeedsInput").WithSummary("Proposals awaiting a human in the active ranking's order (without a model: engine confidence, then newest).");
        seller.MapGet("/timeline", GetTimeline).WithName("GetTimeline").WithSummary("Executed actions, newest first; autonomous ones say so.");
        seller.MapGet("/digest", GetDigest).WithName("GetDigest").WithSummary("The daily digest (date=yyyy-MM-dd, default today UTC).");
        seller.MapGet("/digest-settings", GetDigestSettings).WithName("GetDigestSettings").WithSummary("When and where the daily digest goes.");
        seller.MapPut("/digest-settings", SetDigestSettings).WithName("SetDigestSettings").WithSummary("Replaces the digest settings.");
        return seller;
    }

    public static Task<Results<Ok<ItemsResponse<ProposalResponse>>, ValidationProblem>> GetNeedsInput(
        string tenantId, string sellerId, string? limit, string? cursor, IGrainFactory grains) =>
        PageAsync(limit, cursor, Seller(grains, tenantId, sellerId).GetNeedsInputAsync, ProposalResponse.From);

    public static Task<Results<Ok<ItemsResponse<TimelineItemResponse>>, ValidationProblem>> GetTimeline(
        string tenantId, string sellerId, string? limit, string? cursor, IGrainFactory grains) =>
        PageAsync(limit, cursor, Seller(grains, tenantId, sellerId).GetTimelineAsync, TimelineItemResponse.From);

    /// <summary>One page of a seller's list: the limit and cursor checked, the items mapped to their responses.</summary>
    private static async Task<Results<Ok<ItemsResponse<TResponse>>, ValidationProblem>> PageAsync<TItem, TResponse>(
        string? limit, string? cursor, Func<int, string?, Task<ItemPage<TItem>>> read, Func<TItem, TResponse> map)
    {
        var v = new Validation();
        var size = v.Limit(limit);
        v.OffsetCursor(cursor);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var page = await read(size, cursor);
        return TypedResults.Ok(new ItemsResponse<TResponse>(page.Items.Select(map).ToList(), page.NextCursor));
    }

    public static async Task<Results<Ok<DigestResponse>, ValidationProblem>> GetDigest(
        string tenantId, string sellerId, string? date, IGrainFactory grains, [FromKeyedServices(AutonomyClock.Key)] TimeProvider time)
    {
        var v = new Validation();
        var day = v.Date(date, "date") ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        return TypedResults.Ok(DigestResponse.From(await Seller(grains, tenantId, sellerId).GetDigestAsync(day)));
    }

    public static async Task<Ok<DigestSettingsResponse>> GetDigestSettings(string tenantId, string sellerId, IGrainFactory grains) =>
        TypedResults.Ok(DigestSettingsResponse.From(await Seller(grains, tenantId, sellerId).GetDigestSettingsAsync()));

    public static async Task<Results<Ok<DigestSettingsResponse>, ValidationProblem>> SetDigestSettings(
        string tenantId, string sellerId, DigestSettingsRequest body, ClaimsPrincipal user, IGrainFactory grains, IOptions<WebhookOptions> webhooks)
    {
        var v = new Validation();
        var enabled = v.Required(body.Enabled, "enabled");
        var zone = body.TimeZone ?? DigestSettings.Default.TimeZone;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            v.Add("timeZone", "timeZone must be an IANA time zone id, e.g. Europe/Berlin or UTC.");
        }

        v.WebhookUrl(body.WebhookUrl, "webhookUrl", webhooks.Value.AllowPrivateNetworks);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var settings = new DigestSettings(enabled, body.DeliverAt ?? DigestSettings.Default.DeliverAt, zone, body.WebhookUrl);
        var saved = await Seller(grains, tenantId, sellerId).SetDigestSettingsAsync(settings, user.ToActor());
        return TypedResults.Ok(DigestSettingsResponse.From(saved));
    }

    private static ISellerGrain Seller(IGrainFactory grains, string tenantId, string sellerId) =>
        grains.GetGrain<ISellerGrain>($"{tenantId}/{sellerId}");
}

/// <summary><c>{"enabled":true,"deliverAt":"07:00","timeZone":"Europe/Berlin","webhookUrl":null}</c></summary>
public sealed record DigestSettingsRequest(bool? Enabled, TimeOnly? DeliverAt, string? TimeZone, string? WebhookUrl);

public sealed record DigestSettingsResponse(bool Enabled, TimeOnly DeliverAt, string TimeZone, string? WebhookUrl)
{
    public static DigestSettingsResponse From(DigestSettings s) => new(s.Enabled, s.DeliverAt, s.TimeZone, s.WebhookUrl);
}

public sealed record SkippedItemResponse(string AccountId, string RunId, string Step, string Reason, string Explanation, DateTimeOffset At)
{
    public static SkippedItemResponse From(SkippedItem s) => new(s.AccountId, s.RunId, s.Step, s.Reason, s.Explanation, s.At);
}

/// <summary>The daily digest: done, skipped with reasons, waiting, budget use.</summary>
public sealed record DigestResponse(
    string SellerId,
    DateOnly Date,
    IReadOnlyList<TimelineItemResponse> Done,
    IReadOnlyList<SkippedItemResponse> Skipped,
    IReadOnlyList<ProposalResponse> Waiting,
    int AutonomousActions,
    DigestSettingsResponse Settings)
{
    public static DigestResponse From(DigestView d) => new(
        d.SellerId, d.Date,
        d.Done.IsDefault ? [] : d.Done.Select(TimelineItemResponse.From).ToList(),
        d.Skipped.IsDefault ? [] : d.Skipped.Select(SkippedItemResponse.From).ToList(),
        d.Waiting.IsDefault ? [] : d.Waiting.Select(ProposalResponse.From).ToList(),
        d.AutonomousActions, DigestSettingsResponse.From(d.Settings));
}

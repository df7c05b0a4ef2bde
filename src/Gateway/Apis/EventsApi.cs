using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Live;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// Live events for the control center as Server-Sent Events: what changed (a proposal, an action, an outcome, a run,
/// a kill switch, the configuration), never its content; a page reloads what it shows from the API when one arrives,
/// and on every (re)connect (the first event is <c>ready</c>). A page that may have missed events (it fell behind, a
/// silo was lost, a subscription was renewed) gets <c>resync</c>. An open stream holds no slot of its tenant's fair
/// share (it would hold it for hours); the hub bounds open streams per tenant instead.
/// </summary>
public static class EventsApi
{
    /// <summary>How often an idle stream says it is alive (proxies close silent connections).</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    /// <summary>The hub, its periodic subscription check, and the cluster client's word of a lost silo (cluster mode).</summary>
    public static IServiceCollection AddLiveEvents(this IServiceCollection services) =>
        services.AddSingleton<LiveEventHub>()
            .AddHostedService<LiveSubscriptionCheck>()
            .AddSingleton<IClusterConnectionStatusObserver, LiveSiloLossObserver>();

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/tenants/{tenantId}").WithTags("Live events").RequireAuthorization(Access.Tenant, Access.Ledger).AddEndpointFilter<RouteValuesFilter>()
            .MapGet("/events", (string tenantId, LiveEventHub hub, HttpContext http) => StreamAsync(tenantId, null, hub, http))
            .DisableRateLimiting().WithName("GetTenantEvents").WithSummary("The tenant's live events (admin, auditor), as text/event-stream.");
        app.MapGroup("/v1/tenants/{tenantId}/sellers/{sellerId}").WithTags("Live events").RequireAuthorization(Access.Tenant, Access.SellerSelf).AddEndpointFilter<RouteValuesFilter>()
            .MapGet("/events", (string tenantId, string sellerId, LiveEventHub hub, HttpContext http) => StreamAsync(tenantId, sellerId, hub, http))
            .DisableRateLimiting().WithName("GetSellerEvents").WithSummary("A seller's live events and the tenant's (its proposals, actions, runs; kill switches, configuration), as text/event-stream.");
        return app;
    }

    private static async Task<Results<ServerSentEventsResult<LiveEventResponse>, ProblemHttpResult>> StreamAsync(string tenantId, string? sellerId, LiveEventHub hub, HttpContext http)
    {
        var listener = await hub.ListenAsync(tenantId, sellerId, http.RequestAborted);
        if (listener is null)
        {
            http.Response.Headers.RetryAfter = "30";
            return TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests, title: "Too many live pages",
                detail: $"Tenant {tenantId} has {LiveEventHub.MaxListenersPerTenant} live pages open on this gateway; close one or retry later.");
        }

        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(ReadAsync(listener, http.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<LiveEventResponse>> ReadAsync(LiveListener listener, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var _ = listener;
        yield return new SseItem<LiveEventResponse>(LiveEventResponse.Signal("ready"), "ready");
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = await NextAsync(listener, cancellationToken);
            if (listener.TakeOverflow()) yield return new SseItem<LiveEventResponse>(LiveEventResponse.Signal("resync"), "resync");
            if (ReferenceEquals(next, LiveListener.Wake)) continue;
            if (next is { } e) yield return new SseItem<LiveEventResponse>(LiveEventResponse.From(e), e.Kind);
            else if (!cancellationToken.IsCancellationRequested) yield return new SseItem<LiveEventResponse>(LiveEventResponse.Signal("heartbeat"), "heartbeat");
        }
    }

    /// <summary>The next event, or null after <see cref="Heartbeat"/> without one (or when the page left).</summary>
    private static async Task<LiveEvent?> NextAsync(LiveListener listener, CancellationToken cancellationToken)
    {
        if (listener.Events.TryRead(out var ready)) return ready;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(Heartbeat);
        try
        {
            return await listener.Events.WaitToReadAsync(wait.Token) && listener.Events.TryRead(out var e) ? e : null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}

/// <summary>One live event: its kind, where it happened and which item; <c>ready</c>, <c>resync</c> and <c>heartbeat</c> carry only the kind.</summary>
public sealed record LiveEventResponse(string Kind, string? SellerId, string? AccountId, string? Id, DateTimeOffset? At)
{
    public static LiveEventResponse From(LiveEvent e) => new(e.Kind, e.SellerId, e.AccountId, e.Id, e.At);

    public static LiveEventResponse Signal(string kind) => new(kind, null, null, null, null);
}

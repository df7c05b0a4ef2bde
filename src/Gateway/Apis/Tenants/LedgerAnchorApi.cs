using System.Security.Claims;
using Autonomy.Actions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// External anchoring of the ledger: the webhook every signed checkpoint of the tenant is also POSTed to
/// (<c>Idempotency-Key</c>: the checkpoint id), so a copy lives outside the operator's database. Set by an admin
/// (ledgered as CONFIG_CHANGED), read by an admin or an auditor. The URL follows the executor webhook's rule.
/// </summary>
public static class LedgerAnchorApi
{
    public static RouteGroupBuilder MapLedgerAnchorApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapTenantGroup("Ledger");
        group.MapPut("/ledger/anchor", SetAnchor).RequireAuthorization(Access.Admin)
            .WithName("SetLedgerAnchor").WithSummary("Sets (or, with a null url, removes) the webhook every ledger checkpoint is also POSTed to.");
        group.MapGet("/ledger/anchor", GetAnchor).RequireAuthorization(Access.Ledger)
            .WithName("GetLedgerAnchor").WithSummary("The webhook every ledger checkpoint is also POSTed to.");
        return group;
    }

    public static async Task<Results<Ok<LedgerAnchorResponse>, ValidationProblem>> SetAnchor(
        string tenantId, LedgerAnchorBody body, ClaimsPrincipal user, IGrainFactory grains, IOptions<WebhookOptions> webhooks)
    {
        var v = new Validation();
        v.WebhookUrl(body.Url, "url", webhooks.Value.AllowPrivateNetworks);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetCheckpointAnchorAsync(body.Url, user.ToActor());
        return TypedResults.Ok(new LedgerAnchorResponse(body.Url, version));
    }

    public static async Task<Ok<LedgerAnchorResponse>> GetAnchor(string tenantId, IGrainFactory grains)
    {
        var tenant = grains.GetGrain<ITenantGrain>(tenantId);
        var url = await tenant.GetCheckpointAnchorAsync();
        return TypedResults.Ok(new LedgerAnchorResponse(url, null));
    }
}

public sealed record LedgerAnchorBody(string? Url);

/// <summary>The anchor webhook (null: none) and, after a change, the tenant's new configuration version.</summary>
public sealed record LedgerAnchorResponse(string? Url, long? Version);

using System.Security.Claims;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>The tenant's kill switches: <c>all</c> or one action type. The platform switch is in <see cref="PlatformApi"/>.</summary>
public static class KillSwitchesApi
{
    public static RouteGroupBuilder MapKillSwitchesApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Tenant administration: kill switches").RequireAuthorization(Access.Admin);
        admin.MapPut("/kill-switches/{scope}", SetKillSwitch).WithName("SetKillSwitch").WithSummary("Engages or releases a kill switch (scope \"all\" or an action type).");
        return admin;
    }

    public static async Task<Results<Ok<KillSwitchResponse>, ValidationProblem>> SetKillSwitch(
        string tenantId, string scope, KillSwitchRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var engaged = v.Required(body.Engaged, "engaged");
        v.MaxLength(body.Reason, "reason", 1000);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var view = await grains.GetGrain<ITenantGrain>(tenantId).SetKillSwitchAsync(scope, engaged, body.Reason, user.ToActor());
        return TypedResults.Ok(KillSwitchResponse.From(view));
    }
}

public sealed record KillSwitchRequest(bool? Engaged, string? Reason);

public sealed record KillSwitchResponse(string Scope, bool Engaged, string? Reason, DateTimeOffset? ChangedAt, string? ChangedBy, long Version)
{
    public static KillSwitchResponse From(KillSwitchView k) => new(k.Scope, k.Engaged, k.Reason, k.ChangedAt, k.ChangedBy, k.Version);
}

public sealed record KillSwitchesResponse(KillSwitchResponse Platform, KillSwitchResponse All, IReadOnlyList<KillSwitchResponse> ActionTypes)
{
    public static KillSwitchesResponse From(KillSwitchesView k) => new(
        KillSwitchResponse.From(k.Platform),
        KillSwitchResponse.From(k.All),
        k.ActionTypes.IsDefault ? [] : k.ActionTypes.Select(KillSwitchResponse.From).ToList());
}

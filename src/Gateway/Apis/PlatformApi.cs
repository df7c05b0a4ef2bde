using System.Security.Claims;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>The platform-wide kill switch (platform operator; no tenant).</summary>
public static class PlatformApi
{
    public static RouteGroupBuilder MapPlatformApi(this IEndpointRouteBuilder app)
    {
        var platform = app.MapGroup("/v1/platform")
            .WithTags("Platform")
            .RequireAuthorization(Access.Operator);

        platform.MapGet("/kill-switch", GetKillSwitch).WithName("GetPlatformKillSwitch").WithSummary("The platform kill switch.");
        platform.MapPut("/kill-switch", SetKillSwitch).WithName("SetPlatformKillSwitch").WithSummary("Engages or releases autonomy everywhere.");
        return platform;
    }

    public static async Task<Ok<KillSwitchResponse>> GetKillSwitch(IGrainFactory grains) =>
        TypedResults.Ok(KillSwitchResponse.From(await grains.GetGrain<IPlatformGrain>(IPlatformGrain.Key).GetAsync()));

    public static async Task<Results<Ok<KillSwitchResponse>, ValidationProblem>> SetKillSwitch(
        KillSwitchRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var engaged = v.Required(body.Engaged, "engaged");
        v.MaxLength(body.Reason, "reason", 1000);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var view = await grains.GetGrain<IPlatformGrain>(IPlatformGrain.Key).SetAsync(engaged, body.Reason, user.ToActor());
        return TypedResults.Ok(KillSwitchResponse.From(view));
    }
}

using System.Security.Claims;
using Autonomy.Actions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Apis;

/// <summary>Where executed actions go: the internal executor, or the tenant's webhook for the listed action types.</summary>
public static class ExecutorApi
{
    public static RouteGroupBuilder MapExecutorApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Tenant administration: executor").RequireAuthorization(Access.Admin);
        admin.MapPut("/executor", SetExecutor).WithName("SetExecutor").WithSummary("Sets where executed actions are delivered (webhook or internal).");
        return admin;
    }

    public static async Task<Results<Ok<ExecutorResponse>, ValidationProblem>> SetExecutor(
        string tenantId, ExecutorBody body, ClaimsPrincipal user, IGrainFactory grains, IOptions<WebhookOptions> webhooks)
    {
        var v = new Validation();
        v.WebhookUrl(body.WebhookUrl, "webhookUrl", webhooks.Value.AllowPrivateNetworks);
        var types = v.Names(body.WebhookActionTypes ?? [], "webhookActionTypes");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var settings = new ExecutorSettings(body.WebhookUrl, types);
        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetExecutorAsync(settings, user.ToActor());
        return TypedResults.Ok(new ExecutorResponse(ExecutorView.From(settings), version));
    }
}

public sealed record ExecutorBody(string? WebhookUrl, IReadOnlyList<string>? WebhookActionTypes);

/// <summary>
/// Where executed actions go. The URL is for admins only (it may carry a receiver's token, and knowing it is half of
/// forging a call): anyone else reads <c>webhookUrl: null</c> and whether one is set.
/// </summary>
public sealed record ExecutorView(string? WebhookUrl, IReadOnlyList<string> WebhookActionTypes, bool WebhookUrlSet)
{
    internal static ExecutorView From(ExecutorSettings s, bool showUrl = true) =>
        new(showUrl ? s.WebhookUrl : null, s.WebhookActionTypes.IsDefault ? [] : s.WebhookActionTypes, s.WebhookUrl is not null);
}

public sealed record ExecutorResponse(ExecutorView Executor, long Version);

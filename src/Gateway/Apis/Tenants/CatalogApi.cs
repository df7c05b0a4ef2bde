using System.Security.Claims;
using Autonomy.Actions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>The action catalog: built-in types, the tenant's own, and built-ins made stricter.</summary>
public static class CatalogApi
{
    public static RouteGroupBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Tenant administration: action catalog").RequireAuthorization(Access.Admin);
        admin.MapGet("/actions/catalog", GetCatalog).WithName("GetActionCatalog").WithSummary("The effective action catalog.");
        admin.MapPut("/actions/catalog/{actionType}", PutActionType).WithName("PutActionType").WithSummary("Adds a tenant action type or makes a built-in stricter.");
        return admin;
    }

    public static async Task<Results<Ok<ItemsResponse<ActionTypeResponse>>, ValidationProblem>> GetCatalog(
        string tenantId, string? limit, string? cursor, IGrainFactory grains)
    {
        var v = new Validation();
        var page = v.Page(limit, cursor);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var catalog = await grains.GetGrain<ITenantGrain>(tenantId).GetCatalogAsync();
        return TypedResults.Ok(page.Of(catalog.Select(ActionTypeResponse.From)));
    }

    public static async Task<Results<Ok<ActionTypeResponse>, ValidationProblem>> PutActionType(
        string tenantId, string actionType, ActionTypeRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var risk = v.Required(body.RiskLevel, "riskLevel");
        var external = v.Required(body.ExternalContact, "externalContact");
        var allowListed = v.Required(body.AllowListed, "allowListed");
        var revertible = v.Required(body.Revertible, "revertible");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var spec = await grains.GetGrain<ITenantGrain>(tenantId).PutActionTypeAsync(new ActionTypeSpec(actionType, risk, external, allowListed, revertible), user.ToActor());
        return TypedResults.Ok(ActionTypeResponse.From(spec));
    }
}

public sealed record ActionTypeRequest(RiskLevel? RiskLevel, bool? ExternalContact, bool? AllowListed, bool? Revertible);

public sealed record ActionTypeResponse(string ActionType, RiskLevel RiskLevel, bool ExternalContact, bool AllowListed, bool Revertible, bool BuiltIn)
{
    public static ActionTypeResponse From(ActionTypeSpec s) => new(s.ActionType, s.RiskLevel, s.ExternalContact, s.AllowListed, s.Revertible, s.BuiltIn);
}

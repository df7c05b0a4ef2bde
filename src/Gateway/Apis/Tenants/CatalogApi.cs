using System.Security.Claims;
using System.Text.Json.Nodes;
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
        var requested = body.Read(v, actionType, field: "");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var spec = await grains.GetGrain<ITenantGrain>(tenantId).PutActionTypeAsync(requested, user.ToActor());
        return TypedResults.Ok(ActionTypeResponse.From(spec));
    }
}

/// <summary>
/// An action type; <c>parametersSchema</c> (optional) is a JSON schema in the supported subset that every proposal's
/// parameters must meet. Left out: a built-in keeps its default schema, a tenant's own type has none.
/// </summary>
public sealed record ActionTypeRequest(RiskLevel? RiskLevel, bool? ExternalContact, bool? AllowListed, bool? Revertible, JsonObject? ParametersSchema = null)
{
    /// <summary>The type's entry, every field but the schema required; errors are named under <paramref name="field"/> ("" at the top, "candidate.catalog.X" in a replay).</summary>
    internal ActionTypeSpec Read(Validation v, string actionType, string field)
    {
        var prefix = field.Length == 0 ? "" : field + ".";
        var risk = v.Required(RiskLevel, prefix + "riskLevel");
        var external = v.Required(ExternalContact, prefix + "externalContact");
        var allowListed = v.Required(AllowListed, prefix + "allowListed");
        var revertible = v.Required(Revertible, prefix + "revertible");
        string? schema = null;
        if (ParametersSchema is { } requested)
        {
            schema = ParameterSchema.Parse(requested, out var error)?.Canonical;
            if (schema is null)
            {
                v.Add(prefix + "parametersSchema", $"parametersSchema is outside the supported JSON Schema subset: {error}");
            }
        }

        return new ActionTypeSpec(actionType, risk, external, allowListed, revertible, ParametersSchema: schema);
    }
}

/// <summary>An action type as the catalog shows it; <c>parametersSchema</c> is the schema in force (null: parameters are any JSON object).</summary>
public sealed record ActionTypeResponse(string ActionType, RiskLevel RiskLevel, bool ExternalContact, bool AllowListed, bool Revertible, bool BuiltIn, JsonNode? ParametersSchema = null)
{
    public static ActionTypeResponse From(ActionTypeSpec s) =>
        new(s.ActionType, s.RiskLevel, s.ExternalContact, s.AllowListed, s.Revertible, s.BuiltIn, ActionCatalog.SchemaOf(s) is { } schema ? JsonNode.Parse(schema) : null);
}

using System.Security.Claims;
using System.Text.Json.Nodes;
using Autonomy.Common;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Policy;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>The tenant's whole autonomy state, its configuration history, and the mode per action type.</summary>
public static class ModesApi
{
    public static RouteGroupBuilder MapModesApi(this IEndpointRouteBuilder app)
    {
        var tenant = app.MapTenantGroup("Tenant administration: autonomy and modes");
        tenant.MapGet("/autonomy", GetAutonomy).RequireAuthorization(Access.Readers).WithName("GetAutonomy").WithSummary("The whole autonomy state, kill switches included.");
        tenant.MapGet("/autonomy/history", GetHistory).RequireAuthorization(Access.Admin).WithName("GetAutonomyHistory").WithSummary("Configuration versions, oldest first.");
        tenant.MapPut("/autonomy/modes/{actionType}", SetMode).RequireAuthorization(Access.Admin).WithName("SetMode").WithSummary("Sets one action type's autonomy mode.");
        return tenant;
    }

    /// <summary>The autonomy state; the executor's webhook URL only for an admin.</summary>
    public static async Task<Ok<AutonomyResponse>> GetAutonomy(string tenantId, ClaimsPrincipal user, IGrainFactory grains) =>
        TypedResults.Ok(AutonomyResponse.From(await grains.GetGrain<ITenantGrain>(tenantId).GetAutonomyAsync(), showExecutorUrl: user.HasClaim(GatewayClaims.Role, Actor.Admin)));

    public static async Task<Results<Ok<ItemsResponse<ConfigChangeResponse>>, ValidationProblem>> GetHistory(
        string tenantId, string? limit, string? cursor, IGrainFactory grains)
    {
        var v = new Validation();
        var page = v.Page(limit, cursor);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var history = await grains.GetGrain<ITenantGrain>(tenantId).GetHistoryAsync();
        return TypedResults.Ok(page.Of(history.Select(ConfigChangeResponse.From)));
    }

    public static async Task<Results<Ok<ModeResponse>, ValidationProblem>> SetMode(
        string tenantId, string actionType, SetModeRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var mode = v.Required(body.Mode, "mode");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var config = await grains.GetGrain<ITenantGrain>(tenantId).SetModeAsync(actionType, mode, user.ToActor());
        return TypedResults.Ok(ModeResponse.From(config));
    }
}

public sealed record SetModeRequest(AutonomyModeV1? Mode);

public sealed record ModeResponse(string ActionType, AutonomyModeV1 Mode, long Version, DateTimeOffset ChangedAt, string ChangedBy)
{
    public static ModeResponse From(AutonomyModeConfigV1 c) => new(c.ActionType, c.Mode, c.Version, c.ChangedAt, c.ChangedBy);
}

public sealed record ConfigChangeResponse(long Version, string Kind, string Actor, DateTimeOffset At, JsonNode? Before, JsonNode? After)
{
    public static ConfigChangeResponse From(ConfigChange c) => new(c.Version, c.Kind, c.Actor, c.At, GatewayJson.Node(c.Before), GatewayJson.Node(c.After));
}

/// <summary>GET .../autonomy: modes, budgets, cost budget, kill switches, opt-ins, versions.</summary>
public sealed record AutonomyResponse(
    string TenantId,
    long ConfigVersion,
    AutonomyModeV1 DefaultMode,
    IReadOnlyList<ModeResponse> Modes,
    BudgetBody Budget,
    CostBudgetBody CostBudget,
    long DecisionRunsUsedToday,
    KillSwitchesResponse KillSwitches,
    IReadOnlyList<string> OptedInAccounts,
    PolicyParametersView Policy,
    string PolicyVersion,
    ExecutorView Executor,
    int PlaybookRules,
    IReadOnlyList<ActionTypeResponse> CustomActionTypes,
    long EngineTokensUsedToday,
    EngineSettingsView? Engine)
{
    public static AutonomyResponse From(TenantAutonomyView t, bool showExecutorUrl) => new(
        t.TenantId,
        t.ConfigVersion,
        AutonomyModeConfigV1.Default,
        t.Modes.IsDefault ? [] : t.Modes.Select(ModeResponse.From).ToList(),
        BudgetBody.From(t.Budget),
        CostBudgetBody.From(t.CostBudget),
        t.DecisionRunsUsedToday,
        KillSwitchesResponse.From(t.KillSwitches),
        t.OptedInAccounts.IsDefault ? [] : t.OptedInAccounts,
        PolicyParametersView.From(t.Policy),
        t.PolicyVersion,
        ExecutorView.From(t.Executor, showExecutorUrl),
        t.PlaybookRules,
        t.CustomActionTypes.IsDefault ? [] : t.CustomActionTypes.Select(ActionTypeResponse.From).ToList(),
        t.EngineTokensUsedToday,
        t.Engine is { } engine ? EngineSettingsView.From(engine) : null);
}

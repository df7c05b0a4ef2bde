using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// Tenant administration, one module per resource (Apis/Tenants): the autonomy state and modes, budgets, kill
/// switches, playbook and triggers, policy, catalog, executor and webhook signing, decision engine, learning (ranking).
/// </summary>
public static class TenantAutonomyApi
{
    public static IEndpointRouteBuilder MapTenantAutonomyApi(this IEndpointRouteBuilder app)
    {
        app.MapModesApi();
        app.MapBudgetsApi();
        app.MapKillSwitchesApi();
        app.MapPlaybookApi();
        app.MapPolicyApi();
        app.MapCatalogApi();
        app.MapExecutorApi();
        app.MapEngineApi();
        app.MapRankingApi();
        app.MapConnectorsApi();
        app.MapLedgerAnchorApi();
        app.MapWebhookSigningApi();
        return app;
    }

    /// <summary>The routes under <c>/v1/tenants/{tenantId}</c>: the token's tenant, route values checked; each module names its roles.</summary>
    internal static RouteGroupBuilder MapTenantGroup(this IEndpointRouteBuilder app, string tag) =>
        app.MapGroup("/v1/tenants/{tenantId}")
            .WithTags(tag)
            .RequireAuthorization(Access.Tenant)
            .AddEndpointFilter<RouteValuesFilter>();
}

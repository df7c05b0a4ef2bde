using System.Collections.Immutable;
using System.Security.Claims;
using Autonomy.Budgets;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>The autonomy budget (actions per account and per action type per day) and the decision cost budget.</summary>
public static class BudgetsApi
{
    public static RouteGroupBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Tenant administration: budgets").RequireAuthorization(Access.Admin);
        admin.MapPut("/autonomy/budget", SetBudget).WithName("SetAutonomyBudget").WithSummary("Replaces the autonomy budget.");
        admin.MapPut("/cost-budget", SetCostBudget).WithName("SetCostBudget").WithSummary("Replaces the decision cost budget.");
        return admin;
    }

    public static async Task<Results<Ok<BudgetResponse>, ValidationProblem>> SetBudget(
        string tenantId, BudgetBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var budget = body.ToConfig(v);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetBudgetAsync(budget, user.ToActor());
        return TypedResults.Ok(new BudgetResponse(BudgetBody.From(budget), version));
    }

    public static async Task<Results<Ok<CostBudgetResponse>, ValidationProblem>> SetCostBudget(
        string tenantId, CostBudgetBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var runs = v.Required(body.DecisionRunsPerDay, "decisionRunsPerDay");
        var tokens = v.Required(body.EngineTokensPerDay, "engineTokensPerDay");
        var pulls = v.Required(body.PullsPerDay, "pullsPerDay");
        v.Range(body.DecisionRunsPerDay, "decisionRunsPerDay", 0, 100_000_000);
        v.Range(body.EngineTokensPerDay, "engineTokensPerDay", 0, 100_000_000_000);
        v.Range(body.PullsPerDay, "pullsPerDay", 0, 100_000_000);
        v.Range(body.MinMarginalValue, "minMarginalValue", 0, 1_000);
        v.Range(body.MinRunIntervalSeconds, "minRunIntervalSeconds", 0, MaxRunIntervalSeconds);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var budget = new CostBudget(runs, tokens, pulls, body.MinMarginalValue, body.MinRunIntervalSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetCostBudgetAsync(budget, user.ToActor());
        return TypedResults.Ok(CostBudgetResponse.From(budget, version));
    }

    /// <summary>The longest minimum interval between two runs of one account: a day.</summary>
    public const long MaxRunIntervalSeconds = 86_400;
}

public sealed record DecayBody(double? HalfLifeDays, int? Floor);

/// <summary><c>{"maxPerAccountPerDay":5,"maxPerActionTypePerDay":{"CREATE_TASK":3},"decay":{"halfLifeDays":7,"floor":1}}</c></summary>
public sealed record BudgetBody(int? MaxPerAccountPerDay, IReadOnlyDictionary<string, int>? MaxPerActionTypePerDay, DecayBody? Decay)
{
    internal AutonomyBudgetConfig ToConfig(Validation v)
    {
        var max = v.Required(MaxPerAccountPerDay, "maxPerAccountPerDay");
        v.Range(MaxPerAccountPerDay, "maxPerAccountPerDay", 0, 10_000);
        if (MaxPerActionTypePerDay is { Count: > TenantGrain.MaxBudgetActionTypes })
        {
            v.Add("maxPerActionTypePerDay", $"maxPerActionTypePerDay may limit at most {TenantGrain.MaxBudgetActionTypes} action types.");
        }

        foreach (var (type, limit) in MaxPerActionTypePerDay ?? ImmutableDictionary<string, int>.Empty)
        {
            if (v.Name(type, $"maxPerActionTypePerDay.{type}"))
            {
                v.Range(limit, $"maxPerActionTypePerDay.{type}", 0, 10_000);
            }
        }

        BudgetDecay? decay = null;
        if (Decay is not null)
        {
            var halfLife = v.Required(Decay.HalfLifeDays, "decay.halfLifeDays");
            var floor = v.Required(Decay.Floor, "decay.floor");
            v.Range(Decay.HalfLifeDays, "decay.halfLifeDays", 0.01, 3650);
            v.Range(Decay.Floor, "decay.floor", 0, 10_000);
            decay = new BudgetDecay(halfLife, floor);
        }

        return new AutonomyBudgetConfig(max, (MaxPerActionTypePerDay ?? ImmutableDictionary<string, int>.Empty).ToImmutableDictionary(StringComparer.Ordinal), decay);
    }

    internal static BudgetBody From(AutonomyBudgetConfig c) =>
        new(c.MaxPerAccountPerDay, c.MaxPerActionTypePerDay, c.Decay is { } d ? new DecayBody(d.HalfLifeDays, d.Floor) : null);
}

public sealed record BudgetResponse(BudgetBody Budget, long Version);

/// <summary>
/// <c>{"decisionRunsPerDay":10000,"engineTokensPerDay":2000000,"pullsPerDay":50000,"minMarginalValue":0.05,"minRunIntervalSeconds":300}</c>:
/// the two cost gate thresholds are optional; left out, the silo's defaults apply (<c>Autonomy:Engine:*</c>).
/// </summary>
public sealed record CostBudgetBody(long? DecisionRunsPerDay, long? EngineTokensPerDay, long? PullsPerDay, double? MinMarginalValue = null, long? MinRunIntervalSeconds = null)
{
    internal static CostBudgetBody From(CostBudget b) => new(
        b.DecisionRunsPerDay, b.EngineTokensPerDay, b.PullsPerDay, b.MinMarginalValue, b.MinRunInterval is { } i ? (long)i.TotalSeconds : null);
}

public sealed record CostBudgetResponse(
    long DecisionRunsPerDay, long EngineTokensPerDay, long PullsPerDay, long Version, double? MinMarginalValue = null, long? MinRunIntervalSeconds = null)
{
    internal static CostBudgetResponse From(CostBudget b, long version) => new(
        b.DecisionRunsPerDay, b.EngineTokensPerDay, b.PullsPerDay, version, b.MinMarginalValue, b.MinRunInterval is { } i ? (long)i.TotalSeconds : null);
}

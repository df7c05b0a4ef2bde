using System.Security.Claims;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Policy;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>The policy: a dry run against the tenant's configuration, and its parameters.</summary>
public static class PolicyApi
{
    public static RouteGroupBuilder MapPolicyApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Tenant administration: policy").RequireAuthorization(Access.Admin);
        admin.MapPost("/policy/evaluate", EvaluatePolicy).WithName("EvaluatePolicy").WithSummary("Dry run of the policy: nothing executed or stored.");
        admin.MapPut("/policy/parameters", SetPolicyParameters).WithName("SetPolicyParameters").WithSummary("Replaces the policy parameters.");
        return admin;
    }

    public static async Task<Results<Ok<PolicyResultResponse>, ValidationProblem>> EvaluatePolicy(
        string tenantId, PolicyEvaluateRequest body, IGrainFactory grains)
    {
        var v = new Validation();
        v.Name(body.ActionType, "actionType");
        var confidence = v.Required(body.Confidence, "confidence");
        v.Range(body.Confidence, "confidence", 0, 1);
        v.Name(body.Lifecycle, "lifecycle", required: false);
        v.Key(body.AccountId, "accountId", required: false);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        // The policy is a pure function: read the tenant's snapshot, evaluate, store nothing.
        var snapshot = await grains.GetGrain<ITenantGrain>(tenantId).GetSnapshotAsync(body.AccountId ?? string.Empty);
        var actionType = body.ActionType!;
        var result = AutoApprovalPolicyV1.Evaluate(new PolicyInput(
            actionType,
            snapshot.Catalog.GetValueOrDefault(actionType),
            snapshot.ModeOf(actionType),
            snapshot.KillSwitches,
            confidence,
            body.Lifecycle,
            body.StartedBySchedule ?? false,
            body.AccountId is not null && snapshot.AccountOptedIn,
            snapshot.Policy));
        return TypedResults.Ok(new PolicyResultResponse(result.Decision, result.Reason, result.Explanation, result.PolicyVersion, result.Rule));
    }

    public static async Task<Results<Ok<PolicyParametersResponse>, ValidationProblem>> SetPolicyParameters(
        string tenantId, PolicyParametersBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var min = v.Required(body.MinConfidence, "minConfidence");
        v.Range(body.MinConfidence, "minConfidence", 0, 1);
        var auto = v.Names(v.Required(body.AutoExecuteLifecycles, "autoExecuteLifecycles"), "autoExecuteLifecycles");
        var blocked = v.Names(v.Required(body.BlockedLifecycles, "blockedLifecycles"), "blockedLifecycles");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var parameters = new PolicyParameters(min, auto, blocked);
        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetPolicyParametersAsync(parameters, user.ToActor());
        return TypedResults.Ok(new PolicyParametersResponse(PolicyParametersView.From(parameters), version));
    }
}

/// <summary>A dry-run policy input.</summary>
public sealed record PolicyEvaluateRequest(string? ActionType, double? Confidence, string? Lifecycle, bool? StartedBySchedule, string? AccountId);

public sealed record PolicyResultResponse(PolicyDecision Decision, PolicyReason Reason, string Explanation, string PolicyVersion, string Rule);

public sealed record PolicyParametersBody(double? MinConfidence, IReadOnlyList<string>? AutoExecuteLifecycles, IReadOnlyList<string>? BlockedLifecycles);

public sealed record PolicyParametersView(double MinConfidence, IReadOnlyList<string> AutoExecuteLifecycles, IReadOnlyList<string> BlockedLifecycles)
{
    internal static PolicyParametersView From(PolicyParameters p) => new(
        p.MinConfidence, p.AutoExecuteLifecycles.IsDefault ? [] : p.AutoExecuteLifecycles, p.BlockedLifecycles.IsDefault ? [] : p.BlockedLifecycles);
}

public sealed record PolicyParametersResponse(PolicyParametersView Policy, long Version);

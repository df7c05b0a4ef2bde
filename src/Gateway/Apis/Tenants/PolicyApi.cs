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
        admin.MapPost("/policy/replay", PolicyReplayApi.Replay).WithName("ReplayPolicy")
            .WithSummary("Re-evaluates the ledgered decisions of a time range under a candidate configuration: what would change. Nothing executed, stored or ledgered.");
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
        var parameters = body.Read(v, field: "");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetPolicyParametersAsync(parameters, user.ToActor());
        return TypedResults.Ok(new PolicyParametersResponse(PolicyParametersView.From(parameters), version));
    }
}

/// <summary>A dry-run policy input.</summary>
public sealed record PolicyEvaluateRequest(string? ActionType, double? Confidence, string? Lifecycle, bool? StartedBySchedule, string? AccountId);

public sealed record PolicyResultResponse(PolicyDecision Decision, PolicyReason Reason, string Explanation, string PolicyVersion, string Rule);

public sealed record PolicyParametersBody(double? MinConfidence, IReadOnlyList<string>? AutoExecuteLifecycles, IReadOnlyList<string>? BlockedLifecycles)
{
    /// <summary>The parameters, every field required; errors are named under <paramref name="field"/> ("" at the top, "candidate.policy" in a replay).</summary>
    internal PolicyParameters Read(Validation v, string field)
    {
        var prefix = field.Length == 0 ? "" : field + ".";
        var min = v.Required(MinConfidence, prefix + "minConfidence");
        v.Range(MinConfidence, prefix + "minConfidence", 0, 1);
        var auto = v.Names(v.Required(AutoExecuteLifecycles, prefix + "autoExecuteLifecycles"), prefix + "autoExecuteLifecycles");
        var blocked = v.Names(v.Required(BlockedLifecycles, prefix + "blockedLifecycles"), prefix + "blockedLifecycles");
        return new PolicyParameters(min, auto, blocked);
    }
}

public sealed record PolicyParametersView(double MinConfidence, IReadOnlyList<string> AutoExecuteLifecycles, IReadOnlyList<string> BlockedLifecycles)
{
    internal static PolicyParametersView From(PolicyParameters p) => new(
        p.MinConfidence, p.AutoExecuteLifecycles.IsDefault ? [] : p.AutoExecuteLifecycles, p.BlockedLifecycles.IsDefault ? [] : p.BlockedLifecycles);
}

public sealed record PolicyParametersResponse(PolicyParametersView Policy, long Version);

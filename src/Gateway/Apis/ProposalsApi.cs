using System.Security.Claims;
using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Common;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Outcomes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// Working the needs-input queue (approve, edit, reject), reverting an action and reporting its outcome.
/// Proposal and action ids carry their account, so each call goes straight to that account's grain.
/// </summary>
public static class ProposalsApi
{
    public static RouteGroupBuilder MapProposalsApi(this IEndpointRouteBuilder app)
    {
        var tenant = app.MapGroup("/v1/tenants/{tenantId}")
            .WithTags("Proposals and actions")
            .RequireAuthorization(Access.Tenant)
            .AddEndpointFilter<RouteValuesFilter>();

        tenant.MapPost("/proposals/{proposalId}/approve", Approve).RequireAuthorization(Access.Deciders).WithName("ApproveProposal").WithSummary("Approves the proposal the caller saw (argsDigest) and executes it.");
        tenant.MapPost("/proposals/{proposalId}/edit", Edit).RequireAuthorization(Access.Deciders).WithName("EditProposal").WithSummary("Executes an edited payload (outcome IDEA_EDITED).");
        tenant.MapPost("/proposals/{proposalId}/reject", Reject).RequireAuthorization(Access.Deciders).WithName("RejectProposal").WithSummary("Rejects a proposal (outcome IDEA_REJECTED).");
        tenant.MapPost("/actions/{actionId}/revert", Revert).RequireAuthorization(Access.Deciders).WithName("RevertAction").WithSummary("Undoes a revertible executed action.");
        tenant.MapPost("/actions/{actionId}/outcome", RecordOutcome).RequireAuthorization(Access.Ingest).WithName("RecordOutcome").WithSummary("Records an outcome reported later by upstream.");
        return tenant;
    }

    public static async Task<Results<Ok<TimelineItemResponse>, ValidationProblem>> Approve(
        string tenantId, string proposalId, ApproveRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var digest = v.Required(body.ArgsDigest, "argsDigest");
        v.MaxLength(body.ArgsDigest, "argsDigest", 200);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var account = Account(grains, tenantId, proposalId);
        return TypedResults.Ok(TimelineItemResponse.From(await account.ApproveAsync(proposalId, digest, user.ToActor())));
    }

    public static async Task<Results<Ok<TimelineItemResponse>, ValidationProblem>> Edit(
        string tenantId, string proposalId, EditRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var digest = v.Required(body.ArgsDigest, "argsDigest");
        v.MaxLength(body.ArgsDigest, "argsDigest", 200);
        v.Required(body.Parameters, "parameters");
        var parameters = v.FreeJson(body.Parameters, "parameters");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var account = Account(grains, tenantId, proposalId);
        var action = await account.EditAsync(proposalId, digest, parameters!, user.ToActor());
        return TypedResults.Ok(TimelineItemResponse.From(action));
    }

    public static async Task<Results<Ok<ProposalResponse>, ValidationProblem>> Reject(
        string tenantId, string proposalId, RejectRequest? body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        v.MaxLength(body?.Reason, "reason", 2000);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var account = Account(grains, tenantId, proposalId);
        return TypedResults.Ok(ProposalResponse.From(await account.RejectAsync(proposalId, body?.Reason, user.ToActor())));
    }

    public static async Task<Ok<TimelineItemResponse>> Revert(
        string tenantId, string actionId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var account = Account(grains, tenantId, actionId);
        return TypedResults.Ok(TimelineItemResponse.From(await account.RevertAsync(actionId, user.ToActor())));
    }

    public static async Task<Results<Ok<TimelineItemResponse>, ValidationProblem>> RecordOutcome(
        string tenantId, string actionId, OutcomeRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var outcome = v.Required(body.Outcome, "outcome");
        if (body.Outcome is { } reported && !OutcomeTaxonomyV1.IsUpstreamReport(reported))
        {
            v.Add("outcome", "outcome must be NO_RESPONSE or NEGATIVE_RESPONSE; the others are recorded by the system.");
        }

        if (!v.IsValid)
        {
            return v.Problem();
        }

        var account = Account(grains, tenantId, actionId);
        return TypedResults.Ok(TimelineItemResponse.From(await account.RecordOutcomeAsync(actionId, outcome, user.ToActor())));
    }

    /// <summary>The account grain a proposal or action id belongs to; an id that names no account is a 404.</summary>
    private static IAccountGrain Account(IGrainFactory grains, string tenantId, string id) =>
        Ids.AccountOf(id) is { } accountId
            ? grains.GetGrain<IAccountGrain>(Ids.AccountKey(tenantId, accountId))
            : throw new NotFoundException($"There is no proposal or action '{id}'.");
}

public sealed record ApproveRequest(string? ArgsDigest);

public sealed record EditRequest(string? ArgsDigest, JsonObject? Parameters);

public sealed record RejectRequest(string? Reason);

public sealed record OutcomeRequest(OutcomeV1? Outcome);

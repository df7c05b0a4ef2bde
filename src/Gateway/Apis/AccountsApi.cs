using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Common;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Perception;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>Accounts and signals: ingest (upstream systems), account reads, Mode 4 opt-in.</summary>
public static class AccountsApi
{
    public const int MaxSignalsPerRequest = 1000;

    public static RouteGroupBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var accounts = app.MapGroup("/v1/tenants/{tenantId}/accounts/{accountId}")
            .WithTags("Accounts and signals")
            .RequireAuthorization(Access.Tenant)
            .AddEndpointFilter<RouteValuesFilter>();

        accounts.MapPost("/signals", IngestSignals).RequireAuthorization(Access.Ingest).WithName("IngestSignals").WithSummary("Ingests signals; ids are idempotent.");
        accounts.MapPut("", UpsertAccount).RequireAuthorization(Access.Ingest).WithName("UpsertAccount").WithSummary("Updates owner, lifecycle, posture or renewal date.");
        accounts.MapGet("", GetAccount).RequireAuthorization(Access.Readers).WithName("GetAccount").WithSummary("Heat, tier, cooldowns, budget use, next tick, pending proposals.");
        accounts.MapPut("/opt-in", SetOptIn).RequireAuthorization(Access.Admin).WithName("SetAutonomousSchedules").WithSummary("Opts the account in or out of autonomous schedules (Mode 4).");
        return accounts;
    }

    public static async Task<Results<Accepted<IngestResponse>, ValidationProblem>> IngestSignals(
        string tenantId, string accountId, SignalsRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var signals = body.ToInputs(v);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var result = await grains.Account(tenantId, accountId).IngestSignalsAsync(signals, user.ToActor());
        return TypedResults.Accepted((string?)null, new IngestResponse(result.Accepted, result.Duplicates));
    }

    public static async Task<Results<Ok<AccountResponse>, ValidationProblem>> UpsertAccount(
        string tenantId, string accountId, AccountRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        v.Key(body.OwnerId, "ownerId", required: false);
        v.Name(body.Lifecycle, "lifecycle", required: false);
        var posture = v.FreeJson(body.Posture, "posture");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var update = new AccountUpdate(body.OwnerId, body.Lifecycle, posture, body.RenewalDate);
        var view = await grains.Account(tenantId, accountId).UpsertAsync(update, user.ToActor());
        return TypedResults.Ok(AccountResponse.From(view));
    }

    public static async Task<Ok<AccountResponse>> GetAccount(
        string tenantId, string accountId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var view = await grains.Account(tenantId, accountId).GetAsync();
        if (user.IsOnly(Actor.Seller) && !string.Equals(view.OwnerId, user.ToActor().Id, StringComparison.Ordinal))
        {
            throw new ForbiddenException("A seller may read only the accounts it owns.");
        }

        return TypedResults.Ok(AccountResponse.From(view));
    }

    public static async Task<Results<Ok<AccountResponse>, ValidationProblem>> SetOptIn(
        string tenantId, string accountId, OptInRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var enabled = v.Required(body.AutonomousSchedules, "autonomousSchedules");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var view = await grains.Account(tenantId, accountId).SetAutonomousSchedulesAsync(enabled, user.ToActor());
        return TypedResults.Ok(AccountResponse.From(view));
    }
}

public sealed record SignalBody(string? Id, string? Type, DateTimeOffset? OccurredAt, double? Value, JsonObject? Attributes);

/// <summary><c>{"signals":[{"id":"s-1","type":"EMAIL_REPLY_RECEIVED","occurredAt":"...","value":0.8,"attributes":{}}]}</c></summary>
public sealed record SignalsRequest(IReadOnlyList<SignalBody>? Signals)
{
    internal ImmutableArray<SignalInput> ToInputs(Validation v)
    {
        var signals = v.Required(Signals, "signals") ?? [];
        if (Signals is { Count: 0 } or { Count: > AccountsApi.MaxSignalsPerRequest })
        {
            v.Add("signals", $"signals must hold 1 to {AccountsApi.MaxSignalsPerRequest} signals per request; split larger batches.");
            return [];
        }

        var inputs = ImmutableArray.CreateBuilder<SignalInput>(signals.Count);
        // A null element gets past the serializer (element nullability is not enforced), so it is checked here.
        for (var i = 0; i < signals.Count; i++)
        {
            // The usual signal is valid and carries no attributes: it is taken without naming its fields.
            if (signals[i] is { Attributes: null, Value: null or (>= 0d and <= 1d) } plain && Ids.IsValidKey(plain.Id) && ActionCatalog.IsValidName(plain.Type))
            {
                inputs.Add(new SignalInput(plain.Id, plain.Type, plain.OccurredAt, plain.Value, null));
                continue;
            }

            var field = $"signals[{i}]";
            if (signals[i] is not { } s)
            {
                v.Add(field, $"{field} must be a signal object.");
                continue;
            }

            v.Key(s.Id, $"{field}.id");
            v.Name(s.Type, $"{field}.type");
            v.Range(s.Value, $"{field}.value", 0, 1);
            inputs.Add(new SignalInput(s.Id ?? "", s.Type ?? "", s.OccurredAt, s.Value, v.FreeJson(s.Attributes, $"{field}.attributes")));
        }

        return inputs.ToImmutable();
    }
}

public sealed record IngestResponse(int Accepted, int Duplicates);

/// <summary><c>{"ownerId":"seller-1","lifecycle":"CUSTOMER","posture":{...},"renewalDate":"2026-09-30"}</c>; absent fields stay as they are.</summary>
public sealed record AccountRequest(string? OwnerId, string? Lifecycle, JsonObject? Posture, DateOnly? RenewalDate);

public sealed record OptInRequest(bool? AutonomousSchedules);

public sealed record BudgetUseResponse(DateOnly Day, int Used, int Limit, IReadOnlyDictionary<string, int> PerActionType);

/// <summary>An account: heat, tier, cooldowns, budget use, next scheduled tick, pending proposals.</summary>
public sealed record AccountResponse(
    string TenantId,
    string AccountId,
    string? OwnerId,
    string? Lifecycle,
    JsonNode? Posture,
    DateOnly? RenewalDate,
    double Heat,
    HeatTier Tier,
    IReadOnlyDictionary<string, DateTimeOffset> Cooldowns,
    BudgetUseResponse BudgetUse,
    DateTimeOffset? NextTickAt,
    DateTimeOffset? LastTickAt,
    DateTimeOffset? NextRitualAt,
    DateTimeOffset? PendingRunDueAt,
    IReadOnlyList<ProposalResponse> PendingProposals,
    IReadOnlyList<TimelineItemResponse> RecentActions,
    bool AutonomousSchedules,
    IReadOnlyList<PullResponse> Pulls)
{
    public static AccountResponse From(AccountView a) => new(
        a.TenantId, a.AccountId, a.OwnerId, a.Lifecycle, GatewayJson.Node(a.Posture), a.RenewalDate, a.Heat, a.Tier,
        a.Cooldowns, new BudgetUseResponse(a.BudgetUse.Day, a.BudgetUse.Used, a.BudgetUse.Limit, a.BudgetUse.PerActionType),
        a.NextTickAt, a.LastTickAt, a.NextRitualAt, a.PendingRunDueAt,
        a.PendingProposals.IsDefault ? [] : a.PendingProposals.Select(ProposalResponse.From).ToList(),
        a.RecentActions.IsDefault ? [] : a.RecentActions.Select(TimelineItemResponse.From).ToList(),
        a.AutonomousSchedules,
        a.Pulls.IsDefault ? [] : a.Pulls.Select(p => new PullResponse(p.Connector, p.Tier, p.Interval.TotalSeconds, p.LastPullAt, p.NextPullAt, p.LastOutcome)).ToList());
}

/// <summary>An account's pull cadence for one connector: the interval now, the last and the next pull.</summary>
public sealed record PullResponse(string Connector, HeatTier Tier, double IntervalSeconds, DateTimeOffset? LastPullAt, DateTimeOffset NextPullAt, Autonomy.Perception.PullOutcome LastOutcome);

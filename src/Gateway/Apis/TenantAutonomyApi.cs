using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Autonomy.Actions;
using Autonomy.Budgets;
using Autonomy.Decisions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Policy;
using Autonomy.Tenants;
using Autonomy.Triggers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>Tenant administration: modes, budgets, kill switches, playbook, policy, catalog, executor (admin).</summary>
public static class TenantAutonomyApi
{
    public static RouteGroupBuilder MapTenantAutonomyApi(this IEndpointRouteBuilder app)
    {
        var tenant = app.MapGroup("/v1/tenants/{tenantId}")
            .WithTags("Tenant administration")
            .RequireAuthorization(Access.Tenant)
            .AddEndpointFilter<RouteValuesFilter>();

        tenant.MapGet("/autonomy", GetAutonomy).RequireAuthorization(Access.Readers).WithName("GetAutonomy").WithSummary("The whole autonomy state, kill switches included.");

        var admin = tenant.MapGroup("").RequireAuthorization(Access.Admin);
        admin.MapGet("/autonomy/history", GetHistory).WithName("GetAutonomyHistory").WithSummary("Configuration versions, oldest first.");
        admin.MapPut("/autonomy/modes/{actionType}", SetMode).WithName("SetMode").WithSummary("Sets one action type's autonomy mode.");
        admin.MapPut("/autonomy/budget", SetBudget).WithName("SetAutonomyBudget").WithSummary("Replaces the autonomy budget.");
        admin.MapPut("/cost-budget", SetCostBudget).WithName("SetCostBudget").WithSummary("Replaces the decision cost budget.");
        admin.MapPut("/kill-switches/{scope}", SetKillSwitch).WithName("SetKillSwitch").WithSummary("Engages or releases a kill switch (scope \"all\" or an action type).");
        admin.MapPut("/playbook", SetPlaybook).WithName("SetPlaybook").WithSummary("Replaces the deterministic engine's rules and the tenant's trigger types.");
        admin.MapPost("/policy/evaluate", EvaluatePolicy).WithName("EvaluatePolicy").WithSummary("Dry run of the policy: nothing executed or stored.");
        admin.MapPut("/policy/parameters", SetPolicyParameters).WithName("SetPolicyParameters").WithSummary("Replaces the policy parameters.");
        admin.MapGet("/actions/catalog", GetCatalog).WithName("GetActionCatalog").WithSummary("The effective action catalog.");
        admin.MapPut("/actions/catalog/{actionType}", PutActionType).WithName("PutActionType").WithSummary("Adds a tenant action type or makes a built-in stricter.");
        admin.MapPut("/executor", SetExecutor).WithName("SetExecutor").WithSummary("Sets where executed actions are delivered (webhook or internal).");
        return tenant;
    }

    public static async Task<Ok<AutonomyResponse>> GetAutonomy(string tenantId, IGrainFactory grains) =>
        TypedResults.Ok(AutonomyResponse.From(await grains.GetGrain<ITenantGrain>(tenantId).GetAutonomyAsync()));

    public static async Task<Ok<ItemsResponse<ConfigChangeResponse>>> GetHistory(string tenantId, IGrainFactory grains)
    {
        var history = await grains.GetGrain<ITenantGrain>(tenantId).GetHistoryAsync();
        return TypedResults.Ok(new ItemsResponse<ConfigChangeResponse>(history.Select(ConfigChangeResponse.From).ToList(), null));
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
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetCostBudgetAsync(new CostBudget(runs, tokens, pulls), user.ToActor());
        return TypedResults.Ok(new CostBudgetResponse(runs, tokens, pulls, version));
    }

    public static async Task<Results<Ok<KillSwitchResponse>, ValidationProblem>> SetKillSwitch(
        string tenantId, string scope, KillSwitchRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var engaged = v.Required(body.Engaged, "engaged");
        v.MaxLength(body.Reason, "reason", 1000);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var view = await grains.GetGrain<ITenantGrain>(tenantId).SetKillSwitchAsync(scope, engaged, body.Reason, user.ToActor());
        return TypedResults.Ok(KillSwitchResponse.From(view));
    }

    public static async Task<Results<Ok<PlaybookResponse>, ValidationProblem>> SetPlaybook(
        string tenantId, PlaybookRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var (playbook, triggers) = body.ToPlaybook(v);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetPlaybookAsync(playbook, triggers, user.ToActor());
        return TypedResults.Ok(new PlaybookResponse(playbook.Rules.Length, triggers.Length, version));
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
        var auto = Names(v, v.Required(body.AutoExecuteLifecycles, "autoExecuteLifecycles"), "autoExecuteLifecycles");
        var blocked = Names(v, v.Required(body.BlockedLifecycles, "blockedLifecycles"), "blockedLifecycles");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var parameters = new PolicyParameters(min, auto, blocked);
        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetPolicyParametersAsync(parameters, user.ToActor());
        return TypedResults.Ok(new PolicyParametersResponse(PolicyParametersView.From(parameters), version));
    }

    public static async Task<Ok<ItemsResponse<ActionTypeResponse>>> GetCatalog(string tenantId, IGrainFactory grains)
    {
        var catalog = await grains.GetGrain<ITenantGrain>(tenantId).GetCatalogAsync();
        return TypedResults.Ok(new ItemsResponse<ActionTypeResponse>(catalog.Select(ActionTypeResponse.From).ToList(), null));
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

    public static async Task<Results<Ok<ExecutorResponse>, ValidationProblem>> SetExecutor(
        string tenantId, ExecutorBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        v.HttpUrl(body.WebhookUrl, "webhookUrl");
        var types = Names(v, body.WebhookActionTypes ?? [], "webhookActionTypes");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var settings = new ExecutorSettings(body.WebhookUrl, types);
        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetExecutorAsync(settings, user.ToActor());
        return TypedResults.Ok(new ExecutorResponse(ExecutorView.From(settings), version));
    }

    internal static ImmutableArray<string> Names(Validation v, IReadOnlyList<string>? names, string field)
    {
        if (names is null)
        {
            return [];
        }

        if (names.Count > 200)
        {
            v.Add(field, $"{field} may list at most 200 names.");
        }

        for (var i = 0; i < names.Count; i++)
        {
            v.Name(names[i], $"{field}[{i}]");
        }

        return names.Distinct(StringComparer.Ordinal).ToImmutableArray();
    }
}

public sealed record SetModeRequest(AutonomyModeV1? Mode);

public sealed record ModeResponse(string ActionType, AutonomyModeV1 Mode, long Version, DateTimeOffset ChangedAt, string ChangedBy)
{
    public static ModeResponse From(AutonomyModeConfigV1 c) => new(c.ActionType, c.Mode, c.Version, c.ChangedAt, c.ChangedBy);
}

public sealed record DecayBody(double? HalfLifeDays, int? Floor);

/// <summary><c>{"maxPerAccountPerDay":5,"maxPerActionTypePerDay":{"CREATE_TASK":3},"decay":{"halfLifeDays":7,"floor":1}}</c></summary>
public sealed record BudgetBody(int? MaxPerAccountPerDay, IReadOnlyDictionary<string, int>? MaxPerActionTypePerDay, DecayBody? Decay)
{
    internal AutonomyBudgetConfig ToConfig(Validation v)
    {
        var max = v.Required(MaxPerAccountPerDay, "maxPerAccountPerDay");
        v.Range(MaxPerAccountPerDay, "maxPerAccountPerDay", 0, 10_000);
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

public sealed record CostBudgetBody(long? DecisionRunsPerDay, long? EngineTokensPerDay, long? PullsPerDay);

public sealed record CostBudgetResponse(long DecisionRunsPerDay, long EngineTokensPerDay, long PullsPerDay, long Version);

public sealed record KillSwitchRequest(bool? Engaged, string? Reason);

public sealed record PlaybookWhen(string? SignalType, string? Lifecycle);

public sealed record PlaybookProposalBody(string? ActionType, JsonObject? Parameters, double? Confidence, string? Rationale);

public sealed record PlaybookRuleBody(PlaybookWhen? When, IReadOnlyList<PlaybookProposalBody>? Propose);

public sealed record TriggerBody(string? Type, int? DebounceSeconds, int? MaxWaitSeconds, int? CooldownSeconds);

/// <summary>API.md's playbook, plus the tenant's own trigger types (optional).</summary>
public sealed record PlaybookRequest(IReadOnlyList<PlaybookRuleBody>? Rules, IReadOnlyList<TriggerBody>? Triggers)
{
    private const int MaxSeconds = 7 * 86_400;

    internal (Playbook Playbook, ImmutableArray<TriggerType> Triggers) ToPlaybook(Validation v)
    {
        var rules = ImmutableArray.CreateBuilder<PlaybookRule>();
        var bodies = v.Required(Rules, "rules") ?? [];
        if (bodies.Count > 500)
        {
            v.Add("rules", "rules may hold at most 500 rules.");
        }

        for (var i = 0; i < bodies.Count; i++)
        {
            var field = $"rules[{i}]";
            if (bodies[i] is not { } rule)
            {
                v.Add(field, $"{field} must be a rule object.");
                continue;
            }

            var when = v.Required(rule.When, $"{field}.when");
            v.Name(when?.SignalType, $"{field}.when.signalType");
            v.Name(when?.Lifecycle, $"{field}.when.lifecycle", required: false);
            var propose = v.Required(rule.Propose, $"{field}.propose") ?? [];
            if (rule.Propose is { Count: 0 or > 20 })
            {
                v.Add($"{field}.propose", $"{field}.propose must hold 1 to 20 actions.");
            }

            var proposals = ImmutableArray.CreateBuilder<PlaybookProposal>();
            for (var j = 0; j < propose.Count; j++)
            {
                var pf = $"{field}.propose[{j}]";
                if (propose[j] is not { } p)
                {
                    v.Add(pf, $"{pf} must be an action object.");
                    continue;
                }

                v.Name(p.ActionType, $"{pf}.actionType");
                var confidence = v.Required(p.Confidence, $"{pf}.confidence");
                v.Range(p.Confidence, $"{pf}.confidence", 0, 1);
                v.MaxLength(p.Rationale, $"{pf}.rationale", 2000);
                proposals.Add(new PlaybookProposal(p.ActionType ?? "", ArgsDigest.Canonical(p.Parameters), confidence, p.Rationale));
            }

            rules.Add(new PlaybookRule(when?.SignalType ?? "", when?.Lifecycle, proposals.ToImmutable()));
        }

        var triggers = ImmutableArray.CreateBuilder<TriggerType>();
        for (var i = 0; i < (Triggers?.Count ?? 0); i++)
        {
            var tf = $"triggers[{i}]";
            if (Triggers![i] is not { } t)
            {
                v.Add(tf, $"{tf} must be a trigger object.");
                continue;
            }

            v.Name(t.Type, $"{tf}.type");
            var debounce = v.Required(t.DebounceSeconds, $"{tf}.debounceSeconds");
            var maxWait = v.Required(t.MaxWaitSeconds, $"{tf}.maxWaitSeconds");
            var cooldown = v.Required(t.CooldownSeconds, $"{tf}.cooldownSeconds");
            v.Range(t.DebounceSeconds, $"{tf}.debounceSeconds", 0, MaxSeconds);
            v.Range(t.MaxWaitSeconds, $"{tf}.maxWaitSeconds", 0, MaxSeconds);
            v.Range(t.CooldownSeconds, $"{tf}.cooldownSeconds", 0, MaxSeconds);
            triggers.Add(TriggerRegistry.Signal(t.Type ?? "", debounce, maxWait, cooldown));
        }

        return (new Playbook(rules.ToImmutable()), triggers.ToImmutable());
    }
}

public sealed record PlaybookResponse(int Rules, int Triggers, long Version);

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

public sealed record ActionTypeRequest(RiskLevel? RiskLevel, bool? ExternalContact, bool? AllowListed, bool? Revertible);

public sealed record ExecutorBody(string? WebhookUrl, IReadOnlyList<string>? WebhookActionTypes);

public sealed record ExecutorView(string? WebhookUrl, IReadOnlyList<string> WebhookActionTypes)
{
    internal static ExecutorView From(ExecutorSettings s) => new(s.WebhookUrl, s.WebhookActionTypes.IsDefault ? [] : s.WebhookActionTypes);
}

public sealed record ExecutorResponse(ExecutorView Executor, long Version);

public sealed record ConfigChangeResponse(long Version, string Kind, string Actor, DateTimeOffset At, JsonNode? Before, JsonNode? After)
{
    public static ConfigChangeResponse From(ConfigChange c) => new(c.Version, c.Kind, c.Actor, c.At, GatewayJson.Node(c.Before), GatewayJson.Node(c.After));
}

public sealed record KillSwitchesResponse(KillSwitchResponse Platform, KillSwitchResponse All, IReadOnlyList<KillSwitchResponse> ActionTypes);

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
    IReadOnlyList<ActionTypeResponse> CustomActionTypes)
{
    public static AutonomyResponse From(TenantAutonomyView t) => new(
        t.TenantId,
        t.ConfigVersion,
        AutonomyModeConfigV1.Default,
        t.Modes.IsDefault ? [] : t.Modes.Select(ModeResponse.From).ToList(),
        BudgetBody.From(t.Budget),
        new CostBudgetBody(t.CostBudget.DecisionRunsPerDay, t.CostBudget.EngineTokensPerDay, t.CostBudget.PullsPerDay),
        t.DecisionRunsUsedToday,
        new KillSwitchesResponse(
            KillSwitchResponse.From(t.KillSwitches.Platform),
            KillSwitchResponse.From(t.KillSwitches.All),
            t.KillSwitches.ActionTypes.IsDefault ? [] : t.KillSwitches.ActionTypes.Select(KillSwitchResponse.From).ToList()),
        t.OptedInAccounts.IsDefault ? [] : t.OptedInAccounts,
        PolicyParametersView.From(t.Policy),
        t.PolicyVersion,
        ExecutorView.From(t.Executor),
        t.PlaybookRules,
        t.CustomActionTypes.IsDefault ? [] : t.CustomActionTypes.Select(ActionTypeResponse.From).ToList());
}

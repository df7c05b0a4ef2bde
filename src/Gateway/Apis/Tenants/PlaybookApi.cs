using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Autonomy.Actions;
using Autonomy.Decisions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Tenants;
using Autonomy.Triggers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>The deterministic decision engine's playbook and the trigger types that start its runs.</summary>
public static class PlaybookApi
{
    public static RouteGroupBuilder MapPlaybookApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Tenant administration: playbook and triggers").RequireAuthorization(Access.Admin);
        admin.MapPut("/playbook", SetPlaybook).WithName("SetPlaybook").WithSummary("Replaces the deterministic engine's rules (and the tenant's trigger types when given); warns of rules no trigger starts.");
        admin.MapGet("/triggers", GetTriggers).WithName("GetTriggers").WithSummary("The effective trigger registry: built-in types and the tenant's own.");
        admin.MapPut("/triggers/{type}", SetTrigger).WithName("SetTrigger").WithSummary("Registers or re-tunes one trigger type (debounce, maximum wait, cooldown).");
        return admin;
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

        // Without a "triggers" array the tenant's trigger types stay as they are (PUT .../triggers/{type} sets them one by one).
        var tenant = grains.GetGrain<ITenantGrain>(tenantId);
        var version = body.Triggers is null
            ? await tenant.SetPlaybookRulesAsync(playbook, user.ToActor())
            : await tenant.SetPlaybookAsync(playbook, triggers, user.ToActor());
        var registered = (await tenant.GetTriggersAsync()).Select(t => t.Type).ToHashSet(StringComparer.Ordinal);
        return TypedResults.Ok(new PlaybookResponse(playbook.Rules.Length, triggers.Length, version, PlaybookWarning.Unregistered(playbook, registered)));
    }

    public static async Task<Results<Ok<ItemsResponse<TriggerResponse>>, ValidationProblem>> GetTriggers(
        string tenantId, string? limit, string? cursor, IGrainFactory grains)
    {
        var v = new Validation();
        var page = v.Page(limit, cursor);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var triggers = await grains.GetGrain<ITenantGrain>(tenantId).GetTriggersAsync();
        return TypedResults.Ok(page.Of(triggers.Select(t => TriggerResponse.From(t, null))));
    }

    public static async Task<Results<Ok<TriggerResponse>, ValidationProblem>> SetTrigger(
        string tenantId, string type, TriggerSettingsRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var trigger = TriggerSettingsRequest.Check(v, type, body.DebounceSeconds, body.MaxWaitSeconds, body.CooldownSeconds, "");
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetTriggerAsync(trigger, user.ToActor());
        return TypedResults.Ok(TriggerResponse.From(trigger, version));
    }
}

/// <summary><c>{"debounceSeconds":30,"maxWaitSeconds":300,"cooldownSeconds":0}</c></summary>
public sealed record TriggerSettingsRequest(int? DebounceSeconds, int? MaxWaitSeconds, int? CooldownSeconds)
{
    /// <summary>A week: the longest debounce, maximum wait or cooldown a trigger type may have.</summary>
    public const int MaxSeconds = 7 * 86_400;

    /// <summary>Checks one trigger type's timings (fields prefixed with <paramref name="prefix"/>) and builds it.</summary>
    internal static TriggerType Check(Validation v, string type, int? debounceSeconds, int? maxWaitSeconds, int? cooldownSeconds, string prefix)
    {
        var debounce = v.Required(debounceSeconds, $"{prefix}debounceSeconds");
        var maxWait = v.Required(maxWaitSeconds, $"{prefix}maxWaitSeconds");
        var cooldown = v.Required(cooldownSeconds, $"{prefix}cooldownSeconds");
        v.Range(debounceSeconds, $"{prefix}debounceSeconds", 0, MaxSeconds);
        v.Range(maxWaitSeconds, $"{prefix}maxWaitSeconds", 0, MaxSeconds);
        v.Range(cooldownSeconds, $"{prefix}cooldownSeconds", 0, MaxSeconds);
        if (debounceSeconds is { } d && maxWaitSeconds is { } m && m < d)
        {
            v.Add($"{prefix}maxWaitSeconds", $"{prefix}maxWaitSeconds must be at least debounceSeconds ({d}): a run waits at most that long.");
        }

        return TriggerRegistry.Signal(type, debounce, maxWait, cooldown);
    }
}

/// <summary>
/// One trigger type of the effective registry; <c>builtIn</c> also when the tenant re-tuned it. <c>version</c>, the
/// configuration version a PUT created, is left out of the list.
/// </summary>
public sealed record TriggerResponse(
    string Type, int DebounceSeconds, int MaxWaitSeconds, int CooldownSeconds, bool BuiltIn, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Version)
{
    public static TriggerResponse From(TriggerType t, long? version) => new(
        t.Type, (int)t.Debounce.TotalSeconds, (int)t.MaxWait.TotalSeconds, (int)t.Cooldown.TotalSeconds, TriggerRegistry.Default.Types.ContainsKey(t.Type), version);
}

/// <summary>A playbook rule that can never run: no trigger type registers its signal type.</summary>
public sealed record PlaybookWarning(string Field, string SignalType, string Message)
{
    internal static IReadOnlyList<PlaybookWarning> Unregistered(Playbook playbook, IReadOnlySet<string> registered) =>
        playbook.Rules
            .Select((rule, i) => (rule.SignalType, Field: $"rules[{i}].when.signalType"))
            .Where(r => !registered.Contains(r.SignalType))
            .Select(r => new PlaybookWarning(
                r.Field, r.SignalType,
                $"No trigger registers {r.SignalType}, so this rule never runs; register it with PUT .../triggers/{r.SignalType}."))
            .ToList();
}

public sealed record PlaybookWhen(string? SignalType, string? Lifecycle);

public sealed record PlaybookProposalBody(string? ActionType, JsonObject? Parameters, double? Confidence, string? Rationale);

public sealed record PlaybookRuleBody(PlaybookWhen? When, IReadOnlyList<PlaybookProposalBody>? Propose);

public sealed record TriggerBody(string? Type, int? DebounceSeconds, int? MaxWaitSeconds, int? CooldownSeconds);

/// <summary>API.md's playbook, plus the tenant's own trigger types (optional).</summary>
public sealed record PlaybookRequest(IReadOnlyList<PlaybookRuleBody>? Rules, IReadOnlyList<TriggerBody>? Triggers)
{
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
                proposals.Add(new PlaybookProposal(p.ActionType ?? "", v.FreeJson(p.Parameters, $"{pf}.parameters") ?? ArgsDigest.Canonical(p.Parameters), confidence, p.Rationale));
            }

            rules.Add(new PlaybookRule(when?.SignalType ?? "", when?.Lifecycle, proposals.ToImmutable()));
        }

        var triggers = ImmutableArray.CreateBuilder<TriggerType>();
        if (Triggers?.Select(t => t?.Type).Distinct(StringComparer.Ordinal).Count() > TenantGrain.MaxTenantTriggerTypes)
        {
            v.Add("triggers", $"triggers may hold at most {TenantGrain.MaxTenantTriggerTypes} trigger types.");
        }

        for (var i = 0; i < (Triggers?.Count ?? 0); i++)
        {
            var tf = $"triggers[{i}]";
            if (Triggers![i] is not { } t)
            {
                v.Add(tf, $"{tf} must be a trigger object.");
                continue;
            }

            v.Name(t.Type, $"{tf}.type");
            triggers.Add(TriggerSettingsRequest.Check(v, t.Type ?? "", t.DebounceSeconds, t.MaxWaitSeconds, t.CooldownSeconds, $"{tf}."));
        }

        return (new Playbook(rules.ToImmutable()), triggers.ToImmutable());
    }
}

/// <summary>The saved playbook's size and version, and a warning for each rule that no trigger type starts.</summary>
public sealed record PlaybookResponse(int Rules, int Triggers, long Version, IReadOnlyList<PlaybookWarning> Warnings);

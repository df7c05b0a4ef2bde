using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json.Nodes;
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
        admin.MapPut("/playbook", SetPlaybook).WithName("SetPlaybook").WithSummary("Replaces the deterministic engine's rules and the tenant's trigger types.");
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

        var version = await grains.GetGrain<ITenantGrain>(tenantId).SetPlaybookAsync(playbook, triggers, user.ToActor());
        return TypedResults.Ok(new PlaybookResponse(playbook.Rules.Length, triggers.Length, version));
    }
}

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

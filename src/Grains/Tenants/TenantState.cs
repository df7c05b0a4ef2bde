using System.Collections.Immutable;
using Autonomy.Actions;
using Autonomy.Budgets;
using Autonomy.CostGate;
using Autonomy.Decisions;
using Autonomy.Learning;
using Autonomy.Policy;
using Autonomy.Triggers;

namespace Autonomy.Tenants;

/// <summary>
/// A tenant's stored configuration. Immutable: a change replaces the whole value, so a failed write restores it. Its
/// secrets (connector secrets, the chat engine's key, the webhook signing secrets) are stored encrypted
/// (<see cref="MapSecrets"/>, <see cref="Hosting.SecretSealingSerializer"/>); in memory they are plain.
/// </summary>
[GenerateSerializer, Alias("autonomy.TenantState")]
public sealed record TenantState : Hosting.IHoldsSecrets<TenantState>
{
    [Id(0)] public long Version { get; init; }
    [Id(1)] public ImmutableDictionary<string, AutonomyModeConfigV1> Modes { get; init; } = ImmutableDictionary<string, AutonomyModeConfigV1>.Empty;
    [Id(2)] public ImmutableDictionary<string, ActionTypeSpec> CustomTypes { get; init; } = ImmutableDictionary<string, ActionTypeSpec>.Empty;
    [Id(3)] public PolicyParameters Policy { get; init; } = PolicyParameters.Default;
    [Id(4)] public AutonomyBudgetConfig Budget { get; init; } = AutonomyBudgetConfig.Default;
    [Id(5)] public CostBudget Cost { get; init; } = CostBudget.Default;
    [Id(6)] public ExecutorSettings Executor { get; init; } = ExecutorSettings.Default;
    [Id(7)] public Playbook Playbook { get; init; } = Playbook.Empty;
    [Id(8)] public ImmutableArray<TriggerType> Triggers { get; init; } = [];
    [Id(9)] public KillSwitchView? All { get; init; }
    [Id(10)] public ImmutableDictionary<string, KillSwitchView> TypeSwitches { get; init; } = ImmutableDictionary<string, KillSwitchView>.Empty;
    [Id(11)] public ImmutableSortedSet<string> OptedIn { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>The active ranker and exploration rate, copied from the ranking grain (not configuration: no version bump).</summary>
    [Id(20)] public RankingPointer? Ranking { get; init; }

    /// <summary>The tenant's connectors by name (at most <see cref="Connectors.ConnectorConfig.MaxPerTenant"/>); secrets included, never shown.</summary>
    [Id(35)] public ImmutableDictionary<string, Connectors.ConnectorConfig> Connectors { get; init; } = ImmutableDictionary<string, Connectors.ConnectorConfig>.Empty;

    /// <summary>Where each ledger checkpoint of the tenant is also POSTed (external anchoring), or null.</summary>
    [Id(40)] public string? CheckpointAnchorUrl { get; init; }

    /// <summary>The secrets that sign the tenant's outgoing webhooks (current and, during a rotation, previous); never shown.</summary>
    [Id(45)] public WebhookSigningKeys? WebhookSigning { get; init; }

    // Ids 12 (the run counter, now RunCounterGrain) and 13 (the change history, read from the ledger) are retired.

    /// <summary>Which engine answers the tenant's runs (null: the playbook, deferring when it cannot).</summary>
    [Id(30)] public EngineSettings? Engine { get; init; }

    /// <summary>
    /// Every secret this state holds, mapped with its destination: a connector's secret is bound to its kind, origin and
    /// header, the chat key to its base URL, a signing secret to its id. Add a secret field here, or it is stored in plain text.
    /// </summary>
    public TenantState MapSecrets(Func<string, string, string?> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        WebhookSigningSecret? MapSigning(WebhookSigningSecret? s) =>
            s is null ? null : map(s.Secret, $"webhook-signing|{s.Id}") is { } secret ? s with { Secret = secret } : null;
        return this with
        {
            Connectors = Connectors.IsEmpty ? Connectors : Connectors.ToImmutableDictionary(c => c.Key, c => c.Value with { Secret = c.Value.Secret is { } secret ? map(secret, Destination(c.Value)) : null }, Connectors.KeyComparer),
            Engine = Engine is { Chat: { ApiKey: { } key } chat } engine ? engine with { Chat = chat with { ApiKey = map(key, $"engine|{chat.BaseUrl}") } } : Engine,
            WebhookSigning = WebhookSigning is { } signing ? new WebhookSigningKeys(MapSigning(signing.Current), MapSigning(signing.Previous)) : null,
        };
    }

    /// <summary>Where a connector's secret may go: what <see cref="Autonomy.Connectors.ConnectorSecret.SameDestination"/> compares.</summary>
    private static string Destination(Autonomy.Connectors.ConnectorConfig c) =>
        $"connector|{c.Kind}|{Autonomy.Connectors.ConnectorSecret.Origin(c.Endpoint) ?? c.Endpoint}|{c.AuthHeader?.ToUpperInvariant()}";

    public KillSwitchState Switches(bool platform) =>
        new(platform, All?.Engaged == true, [.. TypeSwitches.Values.Where(s => s.Engaged).Select(s => s.Scope).Order(StringComparer.Ordinal)]);
}

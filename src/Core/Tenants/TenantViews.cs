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
/// The tenant's cost budget: how much deciding may cost per UTC day, and the cost gate's thresholds for its
/// accounts. A threshold left null is the silo's default (<c>Autonomy:Engine:MinMarginalValue</c>,
/// <c>Autonomy:Engine:MinRunInterval</c>), so a tenant that never set one follows the operator's choice.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.CostBudget")]
public sealed record CostBudget(
    [property: Id(0)] long DecisionRunsPerDay,
    [property: Id(1)] long EngineTokensPerDay,
    [property: Id(2)] long PullsPerDay,
    [property: Id(3)] double? MinMarginalValue = null,
    [property: Id(4)] TimeSpan? MinRunInterval = null)
{
    public static readonly CostBudget Default = new(10_000, 2_000_000, 50_000);

    /// <summary>The gate's thresholds for this tenant: its own, else <paramref name="defaults"/>.</summary>
    public GateThresholds Thresholds(GateThresholds defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        return new(MinMarginalValue ?? defaults.MinMarginalValue, MinRunInterval ?? defaults.MinRunInterval);
    }
}

/// <summary>Where executed actions go when they leave the system. No URL: the internal executor keeps them.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ExecutorSettings")]
public sealed record ExecutorSettings(
    [property: Id(0)] string? WebhookUrl,
    [property: Id(1)] ImmutableArray<string> WebhookActionTypes)
{
    public static readonly ExecutorSettings Default = new(null, []);

    /// <summary>Whether an action type goes to the webhook (all non-internal types when none are listed).</summary>
    public bool UsesWebhook(string actionType, bool internalType) =>
        WebhookUrl is not null && (WebhookActionTypes.IsDefaultOrEmpty ? !internalType : WebhookActionTypes.Contains(actionType));
}

/// <summary>One kill switch as the API shows it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.KillSwitchView")]
public sealed record KillSwitchView(
    [property: Id(0)] string Scope,
    [property: Id(1)] bool Engaged,
    [property: Id(2)] string? Reason,
    [property: Id(3)] DateTimeOffset? ChangedAt,
    [property: Id(4)] string? ChangedBy,
    [property: Id(5)] long Version);

/// <summary>Every switch that applies to a tenant: the platform's, the tenant's own ("all") and per action type.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.KillSwitchesView")]
public sealed record KillSwitchesView(
    [property: Id(0)] KillSwitchView Platform,
    [property: Id(1)] KillSwitchView All,
    [property: Id(2)] ImmutableArray<KillSwitchView> ActionTypes);

/// <summary>One entry of the tenant's configuration history; nothing in it is ever rewritten.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ConfigChange")]
public sealed record ConfigChange(
    [property: Id(0)] long Version,
    [property: Id(1)] string Kind,
    [property: Id(2)] string Actor,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] string Before,
    [property: Id(5)] string After);

/// <summary>The whole autonomy state of a tenant (GET .../autonomy). Kill switches are always included.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.TenantAutonomyView")]
public sealed record TenantAutonomyView(
    [property: Id(0)] string TenantId,
    [property: Id(1)] long ConfigVersion,
    [property: Id(2)] ImmutableArray<AutonomyModeConfigV1> Modes,
    [property: Id(3)] AutonomyBudgetConfig Budget,
    [property: Id(4)] CostBudget CostBudget,
    [property: Id(5)] long DecisionRunsUsedToday,
    [property: Id(6)] KillSwitchesView KillSwitches,
    [property: Id(7)] ImmutableArray<string> OptedInAccounts,
    [property: Id(8)] PolicyParameters Policy,
    [property: Id(9)] string PolicyVersion,
    [property: Id(10)] ExecutorSettings Executor,
    [property: Id(11)] int PlaybookRules,
    [property: Id(12)] ImmutableArray<ActionTypeSpec> CustomActionTypes,
    [property: Id(60)] long EngineTokensUsedToday = 0,
    [property: Id(61)] EngineView? Engine = null);

/// <summary>The fresh part of a tenant snapshot (kill switches, opt-in, the active ranker), and the configuration when the caller's cached version is stale.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.TenantReading")]
public sealed record TenantReading(
    [property: Id(0)] long ConfigVersion,
    [property: Id(1)] KillSwitchState KillSwitches,
    [property: Id(2)] bool AccountOptedIn,
    [property: Id(3)] TenantSnapshot? Configuration,
    [property: Id(40)] RankingPointer? Ranking = null);

/// <summary>
/// What an account's decision run needs from its tenant, read fresh for every run so a change applies to the
/// next evaluation without restart. <see cref="EnabledConnectors"/> counts the connectors the tenant pulls from: an
/// account with none to pull wakes no pull grain.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.TenantSnapshot")]
public sealed record TenantSnapshot(
    [property: Id(0)] long ConfigVersion,
    [property: Id(1)] ImmutableDictionary<string, AutonomyModeV1> Modes,
    [property: Id(2)] ImmutableDictionary<string, ActionTypeSpec> Catalog,
    [property: Id(3)] PolicyParameters Policy,
    [property: Id(4)] AutonomyBudgetConfig Budget,
    [property: Id(5)] KillSwitchState KillSwitches,
    [property: Id(6)] bool AccountOptedIn,
    [property: Id(7)] Playbook Playbook,
    [property: Id(8)] TriggerRegistry Triggers,
    [property: Id(9)] ExecutorSettings Executor,
    [property: Id(10)] long DecisionRunsPerDay = 10_000,
    [property: Id(40)] RankingPointer? Ranking = null,
    [property: Id(60)] CostBudget? Cost = null,
    [property: Id(61)] EngineSettings? Engine = null,
    [property: Id(62)] int EnabledConnectors = 0)
{
    /// <summary>The cost budget in force (older snapshots carried only the run budget).</summary>
    public CostBudget CostBudget => Cost ?? CostBudget.Default with { DecisionRunsPerDay = DecisionRunsPerDay };

    /// <summary>The engine in force: the playbook unless the tenant chose another.</summary>
    public EngineSettings EngineSettings => Engine ?? EngineSettings.Default;

    public AutonomyModeV1 ModeOf(string actionType) => Modes.GetValueOrDefault(actionType, AutonomyModeConfigV1.Default);

    /// <summary>The policy's input for an action under this configuration: its catalog entry and mode, the switches and parameters as read.</summary>
    public PolicyInput InputFor(string actionType, double confidence, string? lifecycle, bool startedBySchedule, bool optedIn) =>
        new(actionType, Catalog.GetValueOrDefault(actionType), ModeOf(actionType), KillSwitches, confidence, lifecycle, startedBySchedule, optedIn, Policy);

    /// <summary>
    /// <paramref name="decided"/> on this configuration: the kill switches, the type's mode and catalog entry and the
    /// policy parameters as they are now; what the account and the engine supplied (confidence, lifecycle, schedule)
    /// stays. An opt-in only narrows: one the decision had holds only while the tenant still holds it.
    /// </summary>
    public PolicyInput Refresh(PolicyInput decided)
    {
        ArgumentNullException.ThrowIfNull(decided);
        return decided with
        {
            Spec = Catalog.GetValueOrDefault(decided.ActionType),
            Mode = ModeOf(decided.ActionType),
            KillSwitches = KillSwitches,
            AccountOptedInToSchedules = decided.AccountOptedInToSchedules && AccountOptedIn,
            Parameters = Policy,
        };
    }
}

/// <summary>GET .../engine: the engine configuration without its key, the config version and today's token use.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.gate.EngineReading")]
public sealed record EngineReading(
    [property: Id(0)] EngineView Engine,
    [property: Id(1)] long ConfigVersion,
    [property: Id(2)] long EngineTokensUsedToday,
    [property: Id(3)] long EngineTokensPerDay);

/// <summary>How a stored API key carries over to new chat settings.</summary>
public static class EngineKey
{
    /// <summary>
    /// The key the new settings keep: their own when given (an empty one removes it), else the stored key when
    /// the base URL is the same, else none, so a key never goes to a host it was not set for.
    /// </summary>
    public static ChatSettings? Carried(ChatSettings? stored, ChatSettings? next) => next switch
    {
        null => null,
        { ApiKey: "" } => next with { ApiKey = null },
        { ApiKey: not null } => next,
        _ when stored is { ApiKey: { Length: > 0 } key } && string.Equals(stored.BaseUrl, next.BaseUrl, StringComparison.Ordinal) => next with { ApiKey = key },
        _ => next,
    };
}

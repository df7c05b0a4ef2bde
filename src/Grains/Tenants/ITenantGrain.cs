using System.Collections.Immutable;
using Autonomy.Actions;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.CostGate;
using Autonomy.Decisions;
using Autonomy.Learning;
using Autonomy.Policy;
using Autonomy.Triggers;
using Orleans.Concurrency;

namespace Autonomy.Tenants;

/// <summary>A tenant's autonomy configuration, kill switches and tenant-wide counters. Key: the tenant id.</summary>
[Alias("autonomy.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Returns the whole autonomy state, kill switches included.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetAutonomy"), ReadOnly]
    Task<TenantAutonomyView> GetAutonomyAsync();

    /// <summary>Returns the configuration history, oldest first: the newest <c>TenantGrain.MaxHistory</c> changes, read from the ledger.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetHistory"), ReadOnly]
    Task<ImmutableArray<ConfigChange>> GetHistoryAsync();

    /// <summary>Sets one action type's mode; returns the new mode config with its version.</summary>
    [Alias("SetMode")]
    Task<AutonomyModeConfigV1> SetModeAsync(string actionType, AutonomyModeV1 mode, Actor actor);

    /// <summary>Replaces the autonomy budget; returns the new config version.</summary>
    [Alias("SetBudget")]
    Task<long> SetBudgetAsync(AutonomyBudgetConfig budget, Actor actor);

    /// <summary>Replaces the cost budget; returns the new config version.</summary>
    [Alias("SetCostBudget")]
    Task<long> SetCostBudgetAsync(CostBudget budget, Actor actor);

    /// <summary>
    /// Sets which engine answers the tenant's runs; returns the new config version. A chat configuration without
    /// an API key keeps the stored key when the base URL is unchanged (an empty key removes it); a key is never sent
    /// to a host it was not set for.
    /// </summary>
    [Alias("gate.SetEngine")]
    Task<long> SetEngineAsync(EngineSettings settings, Actor actor);

    /// <summary>The engine configuration without its key, the config version and the engine tokens used today.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("gate.GetEngine"), ReadOnly]
    Task<EngineReading> GetEngineAsync();

    /// <summary>Replaces the policy parameters; returns the new config version.</summary>
    [Alias("SetPolicyParameters")]
    Task<long> SetPolicyParametersAsync(PolicyParameters parameters, Actor actor);

    /// <summary>Replaces the playbook and the tenant's own trigger types; returns the new config version.</summary>
    [Alias("SetPlaybook")]
    Task<long> SetPlaybookAsync(Playbook playbook, ImmutableArray<TriggerType> triggers, Actor actor);

    /// <summary>Returns the effective trigger registry: the built-in types and the tenant's own, re-tuned ones as re-tuned.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetTriggers"), ReadOnly]
    Task<ImmutableArray<TriggerType>> GetTriggersAsync();

    /// <summary>Registers or re-tunes one trigger type of the tenant; returns the new config version.</summary>
    [Alias("SetTrigger")]
    Task<long> SetTriggerAsync(TriggerType trigger, Actor actor);

    /// <summary>Replaces the playbook's rules and keeps the tenant's trigger types; returns the new config version.</summary>
    [Alias("SetPlaybookRules")]
    Task<long> SetPlaybookRulesAsync(Playbook playbook, Actor actor);

    /// <summary>Adds or tightens an action type of the tenant's catalog; returns the effective spec.</summary>
    [Alias("PutActionType")]
    Task<ActionTypeSpec> PutActionTypeAsync(ActionTypeSpec spec, Actor actor);

    /// <summary>Returns the effective action catalog.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetCatalog"), ReadOnly]
    Task<ImmutableArray<ActionTypeSpec>> GetCatalogAsync();

    /// <summary>Sets (or, null, removes) the webhook every ledger checkpoint is also POSTed to; returns the new config version.</summary>
    [Alias("SetCheckpointAnchor")]
    Task<long> SetCheckpointAnchorAsync(string? url, Actor actor);

    /// <summary>The webhook every ledger checkpoint is also POSTed to, or null.</summary>
    [Alias("GetCheckpointAnchor"), ReadOnly]
    Task<string?> GetCheckpointAnchorAsync();

    /// <summary>Sets where executed actions are delivered; returns the new config version.</summary>
    [Alias("SetExecutor")]
    Task<long> SetExecutorAsync(ExecutorSettings settings, Actor actor);

    /// <summary>Engages or releases a kill switch (scope "all" or an action type); returns it.</summary>
    [Alias("SetKillSwitch")]
    Task<KillSwitchView> SetKillSwitchAsync(string scope, bool engaged, string? reason, Actor actor);

    /// <summary>Records an account's opt-in to autonomous schedules (requirements are checked by the account).</summary>
    [Alias("SetScheduleOptIn")]
    Task<long> SetScheduleOptInAsync(string accountId, bool optedIn, Actor actor);

    /// <summary>Returns what a decision run of this account needs, read fresh.</summary>
    [Idempotent]
    [Alias("GetSnapshot"), ReadOnly]
    Task<TenantSnapshot> GetSnapshotAsync(string accountId);

    /// <summary>
    /// What an account's run needs, for a caller that caches the configuration: the kill switches and the account's
    /// opt-in read fresh, and the configuration only when its version is not <paramref name="knownVersion"/>.
    /// </summary>
    [Alias("Read"), ReadOnly]
    Task<TenantReading> ReadAsync(string accountId, long knownVersion);

    /// <summary>Stores the ranking grain's pointer to the active ranker (ledgered there); accounts read it fresh with their kill switches.</summary>
    [Alias("learning.SetRanking")]
    Task SetRankingAsync(RankingPointer pointer);

    /// <summary>Returns the kill switches in force for this tenant (platform included), read fresh.</summary>
    [Idempotent]
    [Alias("GetKillSwitches"), ReadOnly]
    Task<KillSwitchState> GetKillSwitchesAsync();
}

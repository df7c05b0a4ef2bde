using System.Collections.Immutable;
using System.Text.Json;
using Autonomy.Actions;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.CostGate;
using Autonomy.Decisions;
using Autonomy.Hosting;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Platform;
using Autonomy.Policy;
using Autonomy.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;


namespace Autonomy.Tenants;

/// <summary>
/// The tenant: modes, catalog, policy parameters, budgets, kill switches and opt-ins. Every change is ledgered (who,
/// before, after, version) before it is stored, and the next evaluation reads it. Reads are [ReadOnly] and
/// interleave; the decision-run counter lives in <see cref="RunCounterGrain"/>, the history in the ledger.
/// </summary>
[GrainType("autonomy.tenant")]
public sealed partial class TenantGrain(
    [PersistentState("tenant", "autonomy")] IPersistentState<TenantState> state,
    ILedger ledger,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
    ILogger<TenantGrain> logger) : Grain, ITenantGrain
{
    /// <summary>The bound on the tenant's own (and re-tuned) trigger types held in its state, however they are set.</summary>
    public const int MaxTenantTriggerTypes = 200;

    /// <summary>The bound on the tenant's own action types and tightened built-ins (each also keys a mode and a kill switch).</summary>
    public const int MaxTenantActionTypes = 200;

    /// <summary>The bound on the autonomy budget's per-action-type limits (copied into every BUDGET_CHECKED entry).</summary>
    public const int MaxBudgetActionTypes = 200;

    private LedgerStream? _stream;
    private TenantSnapshot? _configuration;

    private string TenantId => this.GetPrimaryKeyString();

    private LedgerStream Stream => _stream ??= new LedgerStream(ledger, time, TenantId, $"tenant/{TenantId}");

    /// <summary>
    /// A tenant in use is checkpointed and calibrated: its checkpoint writer (ledger checkpoints while anything was
    /// written) and its ranking grain (the nightly calibration reminder) are woken one way, no wait, whenever the
    /// tenant grain activates, which every ingest does within the trigger cache's period; never on the ingest path.
    /// </summary>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        GrainFactory.GetGrain<ILedgerCheckpointGrain>(TenantId).StartAsync().Ignore();
        return GrainFactory.GetGrain<IRankingGrain>(TenantId).EnsureNightlyAsync();
    }

    public async Task<TenantAutonomyView> GetAutonomyAsync()
    {
        var s = state.State;
        var platform = await Platform().GetAsync();
        var modes = ActionCatalog.Effective(s.CustomTypes).Keys.Order(StringComparer.Ordinal)
            .Select(type => s.Modes.GetValueOrDefault(type) ?? new AutonomyModeConfigV1(type, AutonomyModeConfigV1.Default, 0, default, "default"));
        var used = await GrainFactory.GetGrain<IRunCounterGrain>(TenantId).GetUsedTodayAsync();
        var tokens = await GrainFactory.GetGrain<ITokenBudgetGrain>(TenantId).GetUsedTodayAsync();
        return new TenantAutonomyView(
            TenantId, s.Version, [.. modes], s.Budget, s.Cost, used, Switches(s, platform), [.. s.OptedIn], s.Policy,
            AutoApprovalPolicyV1.Version, s.Executor, s.Playbook.Rules.Length, [.. s.CustomTypes.Values.OrderBy(t => t.ActionType, StringComparer.Ordinal)],
            tokens, (s.Engine ?? EngineSettings.Default).View());
    }

    public async Task<EngineReading> GetEngineAsync()
    {
        var tokens = await GrainFactory.GetGrain<ITokenBudgetGrain>(TenantId).GetUsedTodayAsync();
        return new EngineReading((state.State.Engine ?? EngineSettings.Default).View(), state.State.Version, tokens, state.State.Cost.EngineTokensPerDay);
    }

    public Task<long> SetEngineAsync(EngineSettings settings, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var before = state.State.Engine ?? EngineSettings.Default;
        var next = settings with { Chat = EngineKey.Carried(before.Chat, settings.Chat) };

        // The ledger sees the configuration without its key: only whether one is set.
        return ChangeAsync("engine", actor, before.View(), next.View(), s => s with { Engine = next });
    }

    /// <summary>How many changes <see cref="GetHistoryAsync"/> returns at most (the ledger keeps every one).</summary>
    public const int MaxHistory = 1000;

    /// <summary>The newest changes, oldest first, read from the tenant's ledger stream (the grain keeps no copy).</summary>
    public async Task<ImmutableArray<ConfigChange>> GetHistoryAsync()
    {
        var head = await ledger.ReadHeadAsync(Stream.StreamId);
        var changes = ImmutableArray.CreateBuilder<ConfigChange>();
        for (var after = Math.Max(0, (head?.Seq ?? 0) - MaxHistory); ;)
        {
            var entries = await ledger.ReadStreamAsync(Stream.StreamId, after, 500);
            if (entries.Count == 0)
            {
                return changes.ToImmutable();
            }

            foreach (var entry in entries)
            {
                after = entry.Seq;
                if (JsonSerializer.Deserialize<ChangePayload>(entry.Payload, LedgerJson.Options) is { Kind: { } kind } change)
                {
                    changes.Add(new ConfigChange(change.Version, kind, entry.Actor, entry.At, Raw(change.Before), Raw(change.After)));
                }
            }
        }
    }

    private static string Raw(JsonElement? value) => value is { } v ? v.GetRawText() : "null";

    private sealed record ChangePayload(string? Kind, long Version, JsonElement? Before, JsonElement? After);

    public async Task<AutonomyModeConfigV1> SetModeAsync(string actionType, AutonomyModeV1 mode, Actor actor)
    {
        RequireKnownType(actionType);
        var before = state.State.Modes.GetValueOrDefault(actionType);
        var version = state.State.Version + 1;
        var config = new AutonomyModeConfigV1(actionType, mode, version, time.GetUtcNow(), actor.Id);
        await ChangeAsync($"mode:{actionType}", actor, (object?)before ?? AutonomyModeConfigV1.Default, config, s => s with { Modes = s.Modes.SetItem(actionType, config) });
        return config;
    }

    public Task<long> SetBudgetAsync(AutonomyBudgetConfig budget, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(budget);
        if (budget.MaxPerActionTypePerDay.Count > MaxBudgetActionTypes)
        {
            throw new ValidationFailedException("maxPerActionTypePerDay", $"maxPerActionTypePerDay may limit at most {MaxBudgetActionTypes} action types.");
        }

        return ChangeAsync("budget", actor, state.State.Budget, budget, s => s with { Budget = budget });
    }

    public Task<long> SetCostBudgetAsync(CostBudget budget, Actor actor) =>
        ChangeAsync("cost-budget", actor, state.State.Cost, budget, s => s with { Cost = budget });

    public Task<long> SetPolicyParametersAsync(PolicyParameters parameters, Actor actor) =>
        ChangeAsync("policy-parameters", actor, state.State.Policy, parameters, s => s with { Policy = parameters });

    /// <summary>
    /// Replaces the playbook and the tenant's trigger types, held to <see cref="MaxTenantTriggerTypes"/> like
    /// <see cref="SetTriggerAsync"/> (one entry per type: a type listed twice keeps its last settings).
    /// </summary>
    public Task<long> SetPlaybookAsync(Playbook playbook, ImmutableArray<TriggerType> triggers, Actor actor)
    {
        var own = OnePerType(triggers);
        if (own.Length > MaxTenantTriggerTypes)
        {
            throw new ConflictException("TOO_MANY_TRIGGER_TYPES", $"A tenant may register or re-tune at most {MaxTenantTriggerTypes} trigger types; {own.Length} were sent.");
        }

        return ChangeAsync("playbook", actor, new PlaybookWithTriggers(state.State.Playbook, state.State.Triggers), new PlaybookWithTriggers(playbook, own), s => s with { Playbook = playbook, Triggers = own });
    }

    /// <summary>The trigger types with one entry per type, the last one sent winning, in the order they were sent.</summary>
    public static ImmutableArray<TriggerType> OnePerType(ImmutableArray<TriggerType> triggers)
    {
        if (triggers.IsDefaultOrEmpty)
        {
            return [];
        }

        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < triggers.Length; i++)
        {
            last[triggers[i].Type] = i;
        }

        return [.. triggers.Where((t, i) => last[t.Type] == i)];
    }

    public async Task<ActionTypeSpec> PutActionTypeAsync(ActionTypeSpec spec, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!state.State.CustomTypes.ContainsKey(spec.ActionType) && state.State.CustomTypes.Count >= MaxTenantActionTypes)
        {
            throw new ConflictException("TOO_MANY_ACTION_TYPES", $"A tenant may add or tighten at most {MaxTenantActionTypes} action types.");
        }

        var before = ActionCatalog.Find(state.State.CustomTypes, spec.ActionType);
        await ChangeAsync($"action-type:{spec.ActionType}", actor, before, spec, s => s with { CustomTypes = s.CustomTypes.SetItem(spec.ActionType, spec) });
        return ActionCatalog.Find(state.State.CustomTypes, spec.ActionType)!;
    }

    public Task<ImmutableArray<ActionTypeSpec>> GetCatalogAsync() =>
        Task.FromResult(ActionCatalog.Effective(state.State.CustomTypes).Values.OrderBy(s => s.ActionType, StringComparer.Ordinal).ToImmutableArray());

    public Task<long> SetExecutorAsync(ExecutorSettings settings, Actor actor) =>
        ChangeAsync("executor", actor, state.State.Executor, settings, s => s with { Executor = settings });

    public async Task<KillSwitchView> SetKillSwitchAsync(string scope, bool engaged, string? reason, Actor actor)
    {
        if (scope != "all")
        {
            RequireKnownType(scope);
        }

        var before = scope == "all" ? state.State.All : state.State.TypeSwitches.GetValueOrDefault(scope);
        var view = new KillSwitchView(scope, engaged, reason, time.GetUtcNow(), actor.Id, state.State.Version + 1);
        await ChangeAsync(
            actor,
            version => new KillSwitchChangedPayload($"kill-switch:{scope}", version, before, view),
            s => scope == "all" ? s with { All = view } : s with { TypeSwitches = s.TypeSwitches.SetItem(scope, view) });
        logger.LogWarning("Kill switch {Scope} {State} for {TenantId} by {Actor}: {Reason}", scope, engaged ? "engaged" : "released", TenantId, actor.Id, reason);
        AutonomyMetrics.KillSwitchChanged(TenantId, scope, engaged);
        return view;
    }

    public Task<long> SetScheduleOptInAsync(string accountId, bool optedIn, Actor actor) =>
        ChangeAsync(
            $"opt-in:{accountId}", actor, state.State.OptedIn.Contains(accountId), optedIn,
            s => s with { OptedIn = optedIn ? s.OptedIn.Add(accountId) : s.OptedIn.Remove(accountId) });

    public async Task<TenantSnapshot> GetSnapshotAsync(string accountId)
    {
        var switches = await GetKillSwitchesAsync();
        return Configuration() with { KillSwitches = switches, AccountOptedIn = state.State.OptedIn.Contains(accountId), Ranking = state.State.Ranking };
    }

    public async Task<TenantReading> ReadAsync(string accountId, long knownVersion)
    {
        var switches = await GetKillSwitchesAsync();
        var s = state.State;
        return new TenantReading(s.Version, switches, s.OptedIn.Contains(accountId), knownVersion == s.Version ? null : Configuration(), s.Ranking);
    }

    /// <summary>The configuration part of a snapshot, rebuilt only when the version moves (switches and opt-in are read every time).</summary>
    private TenantSnapshot Configuration()
    {
        var s = state.State;
        if (_configuration?.ConfigVersion != s.Version)
        {
            _configuration = new TenantSnapshot(
                s.Version, s.Modes.ToImmutableDictionary(m => m.Key, m => m.Value.Mode), ActionCatalog.Effective(s.CustomTypes), s.Policy, s.Budget,
                KillSwitchState.Unknown, AccountOptedIn: false, s.Playbook, TriggerRegistry.Default.With(s.Triggers), s.Executor, s.Cost.DecisionRunsPerDay,
                Cost: s.Cost, Engine: s.Engine, EnabledConnectors: s.Connectors.Values.Count(c => c.Enabled));
        }

        return _configuration;
    }

    /// <summary>A copy of the ranking grain's pointer (which ledgered the change before sending it); stored only when it differs.</summary>
    public Task SetRankingAsync(RankingPointer pointer) =>
        Equals(state.State.Ranking ?? RankingPointer.Prior, pointer) ? Task.CompletedTask : WriteAsync(state.State with { Ranking = pointer });

    public async Task<KillSwitchState> GetKillSwitchesAsync()
    {
        var platform = await Platform().GetAsync();
        return state.State.Switches(platform.Engaged);
    }

    public Task<ImmutableArray<TriggerType>> GetTriggersAsync() =>
        Task.FromResult(TriggerRegistry.Default.With(state.State.Triggers).Types.Values.OrderBy(t => t.Type, StringComparer.Ordinal).ToImmutableArray());

    public Task<long> SetTriggerAsync(TriggerType trigger, Actor actor)
    {
        var own = state.State.Triggers;
        if (!own.Any(t => t.Type == trigger.Type) && own.Length >= MaxTenantTriggerTypes)
        {
            throw new ConflictException("TOO_MANY_TRIGGER_TYPES", $"A tenant may register or re-tune at most {MaxTenantTriggerTypes} trigger types.");
        }

        var before = TriggerRegistry.Default.With(own).Types.GetValueOrDefault(trigger.Type);
        return ChangeAsync(
            $"trigger:{trigger.Type}", actor, before, trigger,
            s => s with { Triggers = [.. s.Triggers.Where(t => t.Type != trigger.Type), trigger] });
    }

    public Task<long> SetPlaybookRulesAsync(Playbook playbook, Actor actor) =>
        ChangeAsync("playbook", actor, new PlaybookRules(state.State.Playbook), new PlaybookRules(playbook), s => s with { Playbook = playbook });

    private IPlatformGrain Platform() => GrainFactory.ByKey<IPlatformGrain>(IPlatformGrain.Key);

    private static KillSwitchesView Switches(TenantState s, KillSwitchView platform) =>
        new(platform, s.All ?? new KillSwitchView("all", false, null, null, null, 0), [.. s.TypeSwitches.Values.OrderBy(v => v.Scope, StringComparer.Ordinal)]);

    private void RequireKnownType(string actionType)
    {
        if (ActionCatalog.Find(state.State.CustomTypes, actionType) is null)
        {
            throw new NotFoundException($"Action type {actionType} is not in this tenant's catalog; add it first with PUT .../actions/catalog/{actionType}.");
        }
    }

    /// <summary>Ledgers the change (who, before, after, version), then stores it; the ledger entry comes first so no change goes unrecorded.</summary>
    private Task<long> ChangeAsync(string kind, Actor actor, object? before, object? after, Func<TenantState, TenantState> apply) =>
        ChangeAsync(actor, version => new ConfigChangedPayload(kind, version, before, after), apply);

    /// <summary>Ledgers the payload made for the next configuration version, then stores the change under that version.</summary>
    private async Task<long> ChangeAsync(Actor actor, Func<long, ILedgerPayload> payload, Func<TenantState, TenantState> apply)
    {
        var version = state.State.Version + 1;
        var entry = payload(version);
        await Stream.AppendAsync(null, actor, entry);
        await WriteAsync(apply(state.State) with { Version = version });
        var (kind, what) = entry switch { KillSwitchChangedPayload k => (LiveEventKinds.KillSwitch, k.Kind), ConfigChangedPayload c => (LiveEventKinds.Config, c.Kind), _ => (LiveEventKinds.Config, entry.EntryType) };
        this.PublishLive(new LiveEvent(kind, TenantId, null, null, what, time.GetUtcNow()), logger);
        return version;
    }

    private Task WriteAsync(TenantState next) => state.ReplaceAsync(next);
}

using System.Text.Json.Nodes;
using Autonomy.Hosting;
using Autonomy.Pulls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Autonomy.Accounts;

/// <summary>
/// One customer account: heat, trigger state, budget use and proposals. The decision flow of DESIGN.md is in
/// AccountGrain.Run.cs and AccountGrain.Engine.cs (the gate: RunCostGate), execution and recovery in AccountGrain.Execute.cs, the human side in
/// AccountGrain.Proposals.cs, time in AccountGrain.Schedule.cs; the rules are in the core and <see cref="AccountState"/>.
/// Every operation owns one <see cref="LedgerBatch"/> and flushes it before each side effect; state follows the ledger.
/// </summary>
[GrainType("autonomy.account")]
public sealed partial class AccountGrain(
    [PersistentState("account", "autonomy")] IPersistentState<AccountState> state,
    ILedger ledger,
    IDecisionEngine engine,
    IMeteredEngine metered,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
    IOptions<AutonomyEngineOptions> options,
    ILogger<AccountGrain> logger) : Grain, IAccountGrain, IRemindable
{
    /// <summary>The seller id shown on proposals of an account nobody owns (they stay on the account, in no seller's queue).</summary>
    public const string Unassigned = "_unassigned";

    /// <summary>
    /// The most executor calls one recovery pass makes: a call may take the executor's whole timeout while the account
    /// answers nothing, so a backlog (at most <see cref="AccountState.MaxInFlight"/>) is called again one per tick.
    /// </summary>
    internal const int ExecutorCallsPerRecovery = 1;

    private const string TickReminder = "tick";
    /// <summary>The reminder kept while a run is pending, so a lost activation still runs it (PendingRunGuard).</summary>
    private const string PendingRunReminder = "pending-run";
    private const string RetryStopped = "A kill switch or the policy stopped the interrupted execution's retry; it was not called again (the interrupted attempt's effect is unknown).";
    private static readonly TimeSpan WakeRetryBase = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WakeRetryMax = TimeSpan.FromMinutes(5);

    /// <summary>The writer of the account's ledger stream (its only one), opened on activation.</summary>
    private LedgerStream? _stream;
    /// <summary>The tenant as this activation reads it (switches fresh, configuration by version), opened on activation.</summary>
    private TenantReader _tenant = null!;
    /// <summary>The cost gate this account's runs pass, opened by the first run of the activation.</summary>
    private RunCostGate? _gate;
    /// <summary>The activation's one timer (wake-up and snapshot alike), the time it is armed for and what for (Arm).</summary>
    private IGrainTimer? _timer;
    private DateTimeOffset? _armedFor;
    private bool _timerForWake, _timerForSnapshot;
    /// <summary>When the unsaved state is to be written, and when a failed wake-up is retried (instead of the state's own due time).</summary>
    private DateTimeOffset? _snapshotAt, _retryAt;
    /// <summary>The pending-run reminder this activation registered (null: none known to this activation).</summary>
    private IGrainReminder? _pendingRunGuard;
    /// <summary>Ingested state not yet written (its signals are in the ledger already).</summary>
    private bool _unsaved;
    /// <summary>The seq of the last entry an ingest folded into the state: its watermark, stored by the next write.</summary>
    private long _ingestedSeq;
    /// <summary>Failed wake-ups in a row; sets the backoff of the next retry, reset by a run that goes through.</summary>
    private int _wakeFailures;
    /// <summary>Whether this activation has woken its pull grain (the first signal after an activation does, when the tenant has connectors).</summary>
    private bool _pullsWoken;
    /// <summary>The trace of the ingests the next run decides, so the run's span joins the request's trace (null until an ingest is traced).</summary>
    private RunTrace? _runTrace;
    /// <summary>When this activation knows its tick reminder fires next (null: not known to it); a run pending before then needs no guard of its own.</summary>
    private DateTimeOffset? _tickAt;

    private AutonomyEngineOptions Options => options.Value;
    private string TenantId => Ids.SplitKey(this.GetPrimaryKeyString()).TenantId;
    private string AccountId => Ids.SplitKey(this.GetPrimaryKeyString()).Id;
    private string JitterKey => this.GetPrimaryKeyString();
    private ITenantGrain Tenant => GrainFactory.ByKey<ITenantGrain>(TenantId);
    private IPullGrain Pulls => GrainFactory.ByKey<IPullGrain>(this.GetPrimaryKeyString());
    private string SellerId => state.State.OwnerId ?? Unassigned;
    private OwnerViews Owners => new(GrainFactory, TenantId);
    private LedgerBatch NewBatch() => new(_stream!);
    private RunCostGate Gate => _gate ??= new RunCostGate(GrainFactory, metered, TenantId, JitterKey, new GateThresholds(Options.MinMarginalValue, Options.MinRunInterval));

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _stream = new LedgerStream(ledger, time, TenantId, $"account/{TenantId}/{AccountId}");
        _tenant = new TenantReader(GrainFactory, TenantId, AccountId, Options.TriggerCacheTtl, logger);
        state.State = state.State.Migrated(Options.SignalIdMemory);
        await ReplayAsync(cancellationToken);
        ScheduleWake();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unsaved) await SnapshotAsync();
    }

    public async Task<AccountView> UpsertAsync(AccountUpdate update, Actor actor)
    {
        var batch = NewBatch();
        var now = time.GetUtcNow();
        var before = state.State;
        var next = before.Updated(update, now);
        batch.Add(null, actor, new AccountUpdatedPayload(
            new AccountDescription(before.OwnerId, before.Lifecycle, Json(before.Posture), before.RenewalDate),
            new AccountDescription(next.OwnerId, next.Lifecycle, Json(next.Posture), next.RenewalDate)));
        next = await OfferChangeTriggersAsync(batch, before, next, now);
        var ownerChanged = before.Exists && before.OwnerId != next.OwnerId;
        var moved = ownerChanged ? MoveProposals(batch, before.OwnerId, next) : next;
        if (ownerChanged && (await _tenant.NowAsync()).AccountOptedIn)
        {
            await RevokeOptInAsync(batch, before.OwnerId, "OWNER_CHANGED", $"The owner changed from {before.OwnerId ?? "(none)"} to {next.OwnerId ?? "(none)"}; the new owner opts in anew.");
        }

        await CommitAsync(batch, moved);
        await Owners.HandOverAsync(before, moved);
        await EnsureReminderAsync();
        ScheduleWake();
        await GuardPendingRunAsync();
        return await ViewAsync();
    }

    /// <summary>
    /// The hot path. Acknowledged once the SIGNAL_INGESTED entry is durable; the state snapshot follows within
    /// <see cref="AutonomyEngineOptions.SnapshotDelay"/>, and an activation replays whatever the snapshot missed.
    /// </summary>
    public async Task<IngestResult> IngestSignalsAsync(ImmutableArray<SignalInput> signals, Actor actor)
    {
        var batch = NewBatch();
        var now = time.GetUtcNow();
        var registry = await _tenant.TriggersAsync(now);
        var tier = state.State.TierAt(now);
        var ingest = state.State.Touched(now).IngestAll(registry, signals, Options.SignalIdMemory, now);
        if (ingest.Accepted.IsEmpty) return new IngestResult(0, ingest.Duplicates);
        var next = ingest.State;
        batch.Add(null, actor, new SignalIngestedPayload(ingest.Accepted, next.Heat!.Score, next.Heat.Tier));
        foreach (var (signal, outcome) in ingest.Suppressed)
        {
            batch.Add(null, Actor.System, TriggerSuppressedPayload.Signal(signal.Id, signal.Type, outcome.Verdict, outcome.Explanation));
        }

        await batch.FlushAsync();
        // The watermark this state holds goes with the next write (WriteAsync), not into a copy of the state per signal.
        state.State = next;
        _ingestedSeq = Math.Max(_ingestedSeq, _stream!.Seq);
        if (System.Diagnostics.Activity.Current is { } traced) (_runTrace ??= new()).Join(traced);
        ScheduleSnapshot();
        await EnsureReminderAsync();
        ScheduleWake();
        await GuardPendingRunAsync();

        // Fresh data or a new tier may bring a pull forward; an account with no connector to pull has nothing to bring
        // forward (its first wake after activation, and every reminder tick, still look for newly configured ones). Of a
        // tenant without connectors, an account wakes no pull grain: there is nothing to plan.
        if ((!_pullsWoken && (next.Pulls.Count > 0 || _tenant.HasConnectors))
            || (next.Pulls.Count > 0 && (next.Heat.Tier != tier || next.Pulls.Values.Any(p => PullPlanner.Counts(p, now)))))
        {
            await WakePullsAsync();
        }
        AutonomyMetrics.SignalsAccepted(ingest.Accepted.Length);
        return new IngestResult(ingest.Accepted.Length, ingest.Duplicates);
    }

    public Task<AccountView> GetAsync() =>
        state.State.Exists
            ? ViewAsync()
            : throw new NotFoundException($"Account {AccountId} is unknown: nothing was ever sent for it (PUT .../accounts/{AccountId} or POST .../signals).");

    private async Task<AccountView> ViewAsync() =>
        state.State.View(TenantId, AccountId, await _tenant.NowAsync(), Options.Rituals, await Pulls.GetViewsAsync(state.State.PullBasis(time.GetUtcNow())), time.GetUtcNow());

    /// <summary>Lifecycle and posture changes are triggers of their own, offered like signals on the ingest path's registry.</summary>
    private async Task<AccountState> OfferChangeTriggersAsync(LedgerBatch batch, AccountState before, AccountState next, DateTimeOffset now)
    {
        var changes = DecisionTrigger.Changes(before.Exists, (before.Lifecycle, before.Posture), (next.Lifecycle, next.Posture));
        if (changes.IsEmpty) return next;
        var (trigger, refused) = DecisionTrigger.OfferChanges(await _tenant.TriggersAsync(now), next.Trigger, changes, _stream!.Seq + 1, now);
        foreach (var (type, outcome) in refused) batch.Add(null, Actor.System, TriggerSuppressedPayload.Change(type, outcome.Verdict, outcome.Explanation));
        return next with { Trigger = trigger };
    }

    private static JsonNode? Json(string? text) => text is null ? null : JsonNode.Parse(text);

    /// <summary>Ledger first, then state: a step that is stored is always explained.</summary>
    private async Task CommitAsync(LedgerBatch batch, AccountState next)
    {
        await batch.FlushAsync();
        await WriteAsync(next);
    }

    /// <summary>Writes state when it changed; a failed write restores the previous value. The watermark only moves forward.</summary>
    private async Task WriteAsync(AccountState next)
    {
        if (ReferenceEquals(next, state.State) && !_unsaved) return;
        var previous = state.State;
        state.State = next with { LedgerSeq = Math.Max(Math.Max(next.LedgerSeq, previous.LedgerSeq), Math.Max(_stream!.Seq, _ingestedSeq)) };
        try
        {
            await state.WriteStateAsync();
            _unsaved = false;
        }
        catch
        {
            state.State = previous;
            throw;
        }
    }

    // The account's side of its pulls, which its pull grain runs: what they are planned from, the PULL_* entries on the
    // account's stream (its single writer) with the cadence they lead to, and pulled posture through the normal update.
    public Task PullAsync() => Pulls.PullAsync();

    public Task<PullBasis> GetPullBasisAsync() => Task.FromResult(state.State.PullBasis(time.GetUtcNow()));

    public async Task RecordPullAsync(PullRecord record)
    {
        var batch = NewBatch();
        foreach (var payload in record.Entries()) batch.Add(record.PullId, Actor.System, payload);
        await CommitAsync(batch, PullPlanner.Same(record.Pulls, state.State.Pulls) ? state.State : state.State with { Pulls = record.Pulls });
    }

    public async Task<bool> MergePulledPostureAsync(string fields, Actor actor)
    {
        if (Posture.Merge(state.State.Posture, fields) is not { } merged) return false;
        await UpsertAsync(new AccountUpdate(null, null, merged, null), actor);
        return true;
    }

    /// <summary>Has the pull grain plan again (one-way: the account never waits for it).</summary>
    private Task WakePullsAsync()
    {
        _pullsWoken = true;
        return Pulls.WakeAsync();
    }
}

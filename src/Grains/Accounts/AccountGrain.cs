using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.Decisions;
using Autonomy.Hosting;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Perception;
using Autonomy.Schedules;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Autonomy.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Autonomy.Accounts;

/// <summary>
/// One customer account: heat, trigger state, budget use and proposals. The decision flow of DESIGN.md is in
/// AccountGrain.Run.cs, execution in AccountGrain.Execute.cs, the human side in AccountGrain.Proposals.cs,
/// schedules in AccountGrain.Schedule.cs and crash recovery in AccountGrain.Recovery.cs. Every operation owns one
/// <see cref="LedgerBatch"/> and flushes it before each side effect; state is written only after the ledger.
/// </summary>
[GrainType("autonomy.account")]
public sealed partial class AccountGrain(
    [PersistentState("account", "autonomy")] IPersistentState<AccountState> state,
    ILedger ledger,
    IDecisionEngine engine,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
    IOptions<AutonomyEngineOptions> options,
    IMeteredEngine metered,
    ILogger<AccountGrain> logger) : Grain, IAccountGrain, IRemindable
{
    /// <summary>The seller id shown on proposals of an account nobody owns (they stay on the account, in no seller's queue).</summary>
    public const string Unassigned = "_unassigned";

    private const string TickReminder = "tick";
    private static readonly TimeSpan WakeRetryBase = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WakeRetryMax = TimeSpan.FromMinutes(5);

    /// <summary>The writer of the account's ledger stream (the only one), opened on activation.</summary>
    private LedgerStream? stream;

    /// <summary>The tenant's configuration as last read, by version; only <see cref="TenantNowAsync"/> uses it.</summary>
    private TenantSnapshot? tenantConfig;

    /// <summary>The ingest path's copy of the tenant's trigger registry and when it was read (it decides no safety question).</summary>
    private (TriggerRegistry Registry, DateTimeOffset ReadAt)? cachedTriggers;

    /// <summary>The active ranking model as last fetched, by version (null version: the prior).</summary>
    private (string? Version, RankingModel? Model) rankingModel;

    /// <summary>The one-shot timer for a closing trigger window or a deferred run.</summary>
    private IGrainTimer? wake;

    /// <summary>The write-behind timer of the ingest path's snapshot.</summary>
    private IGrainTimer? snapshot;

    /// <summary>Ingested state not yet written (its signals are in the ledger already).</summary>
    private bool unsaved;

    /// <summary>Failed wake-ups in a row; sets the backoff of the next retry, reset by a run that goes through.</summary>
    private int wakeFailures;

    /// <summary>Whether this activation has woken its pull grain (the first signal after an activation does).</summary>
    private bool pullsWoken;

    private AutonomyEngineOptions Options => options.Value;

    private string TenantId => Ids.SplitKey(this.GetPrimaryKeyString()).TenantId;

    private string AccountId => Ids.SplitKey(this.GetPrimaryKeyString()).Id;

    private ITenantGrain Tenant => GrainFactory.GetGrain<ITenantGrain>(TenantId);

    private string SellerId => state.State.OwnerId ?? Unassigned;

    private LedgerBatch NewBatch() => new(stream!);

    /// <summary>
    /// The tenant as it is now: kill switches and the opt-in read fresh on every call, the configuration (modes,
    /// catalog, playbook, ...) cached by version and sent again only when it changed.
    /// </summary>
    private async Task<TenantSnapshot> TenantNowAsync()
    {
        var reading = await Tenant.ReadAsync(AccountId, tenantConfig?.ConfigVersion ?? -1);
        tenantConfig = reading.Configuration ?? tenantConfig!;
        return tenantConfig with { KillSwitches = reading.KillSwitches, AccountOptedIn = reading.AccountOptedIn, Ranking = reading.Ranking };
    }

    /// <summary>The owner's seller grain; null for an account nobody owns, so owner-less accounts never share one hot grain.</summary>
    private ISellerGrain? Seller(string? sellerId = null)
    {
        var id = sellerId ?? state.State.OwnerId;
        return id is null or Unassigned ? null : GrainFactory.GetGrain<ISellerGrain>($"{TenantId}/{id}");
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        stream = new LedgerStream(ledger, time, TenantId, $"account/{TenantId}/{AccountId}");
        await stream.InitializeAsync(cancellationToken);
        state.State = state.State.Migrated(Options.SignalIdMemory);
        await ReplayAsync(cancellationToken);
        ScheduleWake();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (unsaved)
        {
            await SnapshotAsync();
        }
    }

    public async Task<AccountView> UpsertAsync(AccountUpdate update, Actor actor)
    {
        var batch = NewBatch();
        var now = time.GetUtcNow();
        var before = state.State;
        var next = Touch(before, now) with
        {
            OwnerId = update.OwnerId ?? before.OwnerId,
            Lifecycle = update.Lifecycle ?? before.Lifecycle,
            Posture = update.Posture ?? before.Posture,
            RenewalDate = update.RenewalDate ?? before.RenewalDate,
        };
        if (update.Posture is { } posture)
        {
            next = next with { Heat = Heat.WithPosture(next.Heat!, Posture.Score(posture), now) };
        }

        batch.Add(LedgerTypes.AccountUpdated, null, actor.Id, new
        {
            before = new { before.OwnerId, before.Lifecycle, posture = Json(before.Posture), before.RenewalDate },
            after = new { next.OwnerId, next.Lifecycle, posture = Json(next.Posture), next.RenewalDate },
        });
        next = await OfferChangeTriggersAsync(batch, before, next, now);
        var ownerChanged = before.Exists && before.OwnerId != next.OwnerId;
        var moved = ownerChanged ? MoveProposals(batch, before.OwnerId, next) : next;
        if (ownerChanged && (await TenantNowAsync()).AccountOptedIn)
        {
            await RevokeOptInAsync(batch, before.OwnerId, "OWNER_CHANGED", $"The owner changed from {before.OwnerId ?? "(none)"} to {next.OwnerId ?? "(none)"}; the new owner opts in anew.");
        }

        await CommitAsync(batch, moved);
        await HandOverQueueAsync(before, moved);
        await EnsureReminderAsync();
        ScheduleWake();
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
        var registry = await TriggersAsync(now);
        var tier = Heat.At(state.State.Heat ?? HeatState.Cold(now), now).Tier;
        var next = Touch(state.State, now);
        var accepted = ImmutableArray.CreateBuilder<IngestedSignal>();
        var suppressed = new List<object>();
        var duplicates = 0;
        foreach (var signal in signals)
        {
            if (next.Signals.Contains(signal.Id))
            {
                duplicates++;
                continue;
            }

            var value = signal.Value ?? 0.5;
            (next, var outcome) = next.Ingest(registry, new SignalRef(signal.Id, signal.Type, now, value), Options.SignalIdMemory, now);
            accepted.Add(new IngestedSignal(signal.Id, signal.Type, signal.OccurredAt, value, Json(signal.Attributes)));
            if (outcome.Verdict != TriggerVerdict.Accepted)
            {
                suppressed.Add(new { signalId = signal.Id, signal.Type, reason = outcome.Verdict, outcome.Explanation });
            }
        }

        if (accepted.Count == 0)
        {
            return new IngestResult(0, duplicates);
        }

        batch.Add(LedgerTypes.SignalIngested, null, actor.Id, new SignalIngestedPayload(accepted.ToImmutable(), next.Heat!.Score, next.Heat.Tier));
        foreach (var s in suppressed)
        {
            batch.Add(LedgerTypes.TriggerSuppressed, null, "system", s);
        }

        await batch.FlushAsync();
        state.State = next with { LedgerSeq = Math.Max(next.LedgerSeq, stream!.Seq) };
        ScheduleSnapshot();
        await EnsureReminderAsync();
        ScheduleWake();
        if (!pullsWoken || next.Heat.Tier != tier || next.Pulls.Values.Any(p => PullPlanner.Counts(p, now)))
        {
            // Fresh data or a new tier may bring a pull forward.
            await WakePullsAsync();
        }

        AutonomyMetrics.SignalsAccepted(accepted.Count);
        return new IngestResult(accepted.Count, duplicates);
    }

    public Task<AccountView> GetAsync() =>
        state.State.Exists
            ? ViewAsync()
            : throw new NotFoundException($"Account {AccountId} is unknown: nothing was ever sent for it (PUT .../accounts/{AccountId} or POST .../signals).");

    private async Task<AccountView> ViewAsync()
    {
        var tenant = await TenantNowAsync();
        var s = state.State;
        var now = time.GetUtcNow();
        var heat = s.Heat is { } h ? Heat.At(h, now) : HeatState.Cold(now);
        var usage = (s.Budget ?? BudgetUsage.Start(AutonomyBudget.DayOf(now))).On(AutonomyBudget.DayOf(now));
        var limit = s.Budget is null ? 0 : AutonomyBudget.EffectiveAccountLimit(tenant.Budget, s.Budget, usage.Day);
        return new AccountView(
            TenantId, AccountId, s.OwnerId, s.Lifecycle, s.Posture, s.RenewalDate, heat.Score, heat.Tier,
            s.Trigger.CooldownUntil.Where(c => c.Value > now).ToImmutableDictionary(),
            new BudgetUseView(usage.Day, usage.Total, limit, usage.PerActionType),
            s.LastTickAt is { } last ? last + s.TickPeriod : s.Exists ? s.ScheduledSince + s.TickPeriod : null,
            s.LastTickAt,
            s.Exists ? RitualPlanner.Next(Options.Rituals, JitterKey, s.RenewalDate, now) : null,
            s.DeferredUntil ?? (s.Trigger.Window is { IsParked: false } w ? w.DueAt : null),
            [.. s.Pending.Values.Select(p => p.View).OrderByDescending(p => p.CreatedAt)],
            [.. s.Actions.Reverse()],
            tenant.AccountOptedIn,
            await Pulls.GetViewsAsync(PullBasisNow()));
    }

    private string JitterKey => $"{TenantId}/{AccountId}";

    /// <summary>Marks the account as existing (and starts its schedule) the first time anything happens to it.</summary>
    private AccountState Touch(AccountState s, DateTimeOffset now) => s.Exists
        ? s with { Heat = s.Heat ?? HeatState.Cold(now) }
        : s with { Exists = true, ScheduledSince = now, Heat = HeatState.Cold(now), Budget = BudgetUsage.Start(AutonomyBudget.DayOf(now)) };

    private static JsonNode? Json(string? text) => text is null ? null : JsonNode.Parse(text);

    /// <summary>Ledger first, then state: a step that is stored is always explained.</summary>
    private async Task CommitAsync(LedgerBatch batch, AccountState next)
    {
        await batch.FlushAsync();
        await WriteAsync(next);
    }

    private async Task WriteAsync(AccountState next)
    {
        if (ReferenceEquals(next, state.State) && !unsaved)
        {
            return;
        }

        var previous = state.State;

        // The watermark only moves forward: the stream's head is known from activation on, and never below what was stored.
        state.State = next with { LedgerSeq = Math.Max(Math.Max(next.LedgerSeq, previous.LedgerSeq), stream!.Seq) };
        try
        {
            await state.WriteStateAsync();
            unsaved = false;
        }
        catch
        {
            state.State = previous;
            throw;
        }
    }
}

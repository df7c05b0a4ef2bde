using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.Decisions;
using Autonomy.Hosting;
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
/// One customer account. Holds heat, trigger state, budget use and proposals; runs the decision flow of DESIGN.md
/// (see AccountGrain.Run.cs) and the human side of it (AccountGrain.Proposals.cs). Every step is ledgered in the
/// account's stream before the next side effect; state is written only when it changed.
/// </summary>
[GrainType("autonomy.account")]
public sealed partial class AccountGrain(
    [PersistentState("account", "autonomy")] IPersistentState<AccountState> state,
    ILedger ledger,
    IDecisionEngine engine,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
    IOptions<AutonomyEngineOptions> options,
    ILogger<AccountGrain> logger) : Grain, IAccountGrain, IRemindable
{
    private const string TickReminder = "tick";
    private readonly List<LedgerDraft> drafts = [];
    private LedgerStream? stream;
    private IGrainTimer? wake;
    private IGrainTimer? snapshot;
    private bool unsaved;
    private (TriggerRegistry Registry, DateTimeOffset ReadAt)? cachedTriggers;

    private AutonomyEngineOptions Options => options.Value;

    private string TenantId => Ids.SplitKey(this.GetPrimaryKeyString()).TenantId;

    private string AccountId => Ids.SplitKey(this.GetPrimaryKeyString()).Id;

    private ITenantGrain Tenant => GrainFactory.GetGrain<ITenantGrain>(TenantId);

    private string SellerId => state.State.OwnerId ?? "_unassigned";

    private ISellerGrain Seller(string? sellerId = null) => GrainFactory.GetGrain<ISellerGrain>($"{TenantId}/{sellerId ?? SellerId}");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        stream = new LedgerStream(ledger, time, TenantId, $"account/{TenantId}/{AccountId}");
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
        drafts.Clear();
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
            next = next with { Heat = Heat.WithPosture(next.Heat!, PostureScore(posture), now) };
        }

        Draft(LedgerTypes.AccountUpdated, null, actor.Id, new
        {
            before = new { before.OwnerId, before.Lifecycle, posture = Json(before.Posture), before.RenewalDate },
            after = new { next.OwnerId, next.Lifecycle, posture = Json(next.Posture), next.RenewalDate },
        });
        await CommitAsync(next);
        await EnsureReminderAsync();

        if (before.OwnerId != next.OwnerId && !next.Pending.IsEmpty)
        {
            foreach (var id in next.Pending.Keys)
            {
                await Seller(before.OwnerId).RemoveNeedsInputAsync(id);
            }

            await Seller().AddNeedsInputAsync([.. next.Pending.Values.Select(p => p.View with { SellerId = SellerId })]);
        }

        return await ViewAsync();
    }

    /// <summary>
    /// The hot path. Acknowledged once the SIGNAL_INGESTED entry is durable; the state snapshot follows within
    /// <see cref="AutonomyEngineOptions.SnapshotDelay"/>, and an activation replays whatever the snapshot missed.
    /// </summary>
    public async Task<IngestResult> IngestSignalsAsync(ImmutableArray<SignalInput> signals, Actor actor)
    {
        drafts.Clear();
        var now = time.GetUtcNow();
        var registry = await TriggersAsync(now);
        var next = Touch(state.State, now);
        var accepted = new List<object>();
        var suppressed = new List<object>();
        var duplicates = 0;
        foreach (var signal in signals)
        {
            if (next.SeenSignals.Contains(signal.Id))
            {
                duplicates++;
                continue;
            }

            var value = signal.Value ?? 0.5;
            (next, var outcome) = next.Ingest(registry, new SignalRef(signal.Id, signal.Type, now, value), Options.SignalIdMemory, now);
            accepted.Add(new { signal.Id, signal.Type, signal.OccurredAt, value, attributes = Json(signal.Attributes) });
            if (outcome.Verdict != TriggerVerdict.Accepted)
            {
                suppressed.Add(new { signalId = signal.Id, signal.Type, reason = outcome.Verdict, outcome.Explanation });
            }
        }

        if (accepted.Count == 0)
        {
            return new IngestResult(0, duplicates);
        }

        Draft(LedgerTypes.SignalIngested, null, actor.Id, new { signals = accepted, heat = next.Heat!.Score, tier = next.Heat.Tier });
        foreach (var s in suppressed)
        {
            Draft(LedgerTypes.TriggerSuppressed, null, "system", s);
        }

        await FlushAsync();
        state.State = next with { LedgerSeq = stream!.Seq };
        ScheduleSnapshot();
        await EnsureReminderAsync();
        ScheduleWake();
        AutonomyMetrics.SignalsAccepted(accepted.Count);
        return new IngestResult(accepted.Count, duplicates);
    }

    public Task<AccountView> GetAsync() =>
        state.State.Exists
            ? ViewAsync()
            : throw new NotFoundException($"Account {AccountId} is unknown: nothing was ever sent for it (PUT .../accounts/{AccountId} or POST .../signals).");

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == TickReminder)
        {
            await TickAsync();
        }
    }

    private async Task<AccountView> ViewAsync()
    {
        var budget = (await Tenant.GetSnapshotAsync(AccountId)).Budget;
        var s = state.State;
        var now = time.GetUtcNow();
        var heat = s.Heat is { } h ? Heat.At(h, now) : HeatState.Cold(now);
        var usage = (s.Budget ?? BudgetUsage.Start(AutonomyBudget.DayOf(now))).On(AutonomyBudget.DayOf(now));
        var limit = s.Budget is null ? 0 : AutonomyBudget.EffectiveAccountLimit(budget, s.Budget, usage.Day);
        return new AccountView(
            TenantId, AccountId, s.OwnerId, s.Lifecycle, s.Posture, s.RenewalDate, heat.Score, heat.Tier,
            s.Trigger.CooldownUntil.Where(c => c.Value > now).ToImmutableDictionary(),
            new BudgetUseView(usage.Day, usage.Total, limit, usage.PerActionType),
            s.LastTickAt is { } last ? last + s.TickPeriod : s.Exists ? s.ScheduledSince + s.TickPeriod : null,
            s.LastTickAt,
            s.Exists ? RitualPlanner.Next(Options.Rituals, JitterKey, s.RenewalDate, now) : null,
            s.DeferredUntil ?? s.Trigger.Window?.DueAt,
            [.. s.Pending.Values.Select(p => p.View).OrderByDescending(p => p.CreatedAt)],
            [.. s.Actions.Reverse()],
            s.AutonomousSchedules);
    }

    private string JitterKey => $"{TenantId}/{AccountId}";

    /// <summary>Marks the account as existing (and starts its schedule) the first time anything happens to it.</summary>
    private AccountState Touch(AccountState s, DateTimeOffset now) => s.Exists
        ? s with { Heat = s.Heat ?? HeatState.Cold(now) }
        : s with { Exists = true, ScheduledSince = now, Heat = HeatState.Cold(now), Budget = BudgetUsage.Start(AutonomyBudget.DayOf(now)) };

    /// <summary>The tenant's trigger registry for the ingest path, reused for a few seconds (it decides no safety question).</summary>
    private async Task<TriggerRegistry> TriggersAsync(DateTimeOffset now)
    {
        if (cachedTriggers is { } cached && now - cached.ReadAt < Options.TriggerCacheTtl)
        {
            return cached.Registry;
        }

        var snapshot = await Tenant.GetSnapshotAsync(AccountId);
        cachedTriggers = (snapshot.Triggers, now);
        return snapshot.Triggers;
    }

    /// <summary>The reminder's period follows heat: re-registered only when the tier's period changes.</summary>
    private async Task EnsureReminderAsync()
    {
        var s = state.State;
        var period = Heat.TickPeriod(Heat.At(s.Heat ?? HeatState.Cold(time.GetUtcNow()), time.GetUtcNow()).Tier, Options.Ticks);
        if (s.TickPeriod == period)
        {
            return;
        }

        // TickPeriod is the period registered with Orleans: zero until the first registration.
        try
        {
            await this.RegisterOrUpdateReminder(TickReminder, period, period);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            // The reminder service is still starting (or its table is briefly unreachable): the account's next
            // ingest, update or tick tries again; what was asked of it now has already been done.
            logger.LogWarning(ex, "Reminder of {TenantId}/{AccountId} not registered yet", TenantId, AccountId);
            return;
        }

        await WriteAsync(s with { TickPeriod = period });
    }

    /// <summary>Arms the one-shot timer for the next due work (a closing trigger window or a deferred run).</summary>
    private void ScheduleWake()
    {
        var s = state.State;
        DateTimeOffset? due = s.DeferredUntil is { } deferred && s.Trigger.Window is not null ? deferred : s.Trigger.Window?.DueAt;
        wake?.Dispose();
        wake = null;
        if (due is { } at)
        {
            var delay = at - time.GetUtcNow();
            wake = this.RegisterGrainTimer(
                _ => WakeAsync(),
                new GrainTimerCreationOptions { DueTime = delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, Interleave = false });
        }
    }

    /// <summary>The timer's work. A failed run (ledger or store down) is retried later rather than dropped.</summary>
    private async Task WakeAsync()
    {
        try
        {
            await PollAsync();
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Decision run of {TenantId}/{AccountId} failed; retrying in {Delay}", TenantId, AccountId, RetryDelay);
            wake?.Dispose();
            wake = this.RegisterGrainTimer(
                _ => WakeAsync(),
                new GrainTimerCreationOptions { DueTime = RetryDelay, Period = Timeout.InfiniteTimeSpan, Interleave = false });
        }
    }

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>Posture JSON may carry scores in 0..1 ("intent", "risk", "engagement"); the highest sets the heat floor.</summary>
    private static double PostureScore(string posture)
    {
        if (JsonNode.Parse(posture) is not JsonObject obj)
        {
            return 0;
        }

        return new[] { "intent", "risk", "engagement" }
            .Select(k => obj[k] is JsonValue v && v.TryGetValue(out double d) ? d : 0)
            .Max();
    }

    private static JsonNode? Json(string? text) => text is null ? null : JsonNode.Parse(text);

    private void Draft(string type, string? runId, string actor, object payload) => drafts.Add(new LedgerDraft(type, runId, actor, payload));

    /// <summary>Makes every drafted step durable. Called before every side effect: no ledger, no action.</summary>
    private async Task FlushAsync()
    {
        if (drafts.Count == 0)
        {
            return;
        }

        var batch = drafts.ToArray();
        drafts.Clear();
        await stream!.AppendAsync(batch);
    }

    /// <summary>Ledger first, then state: a step that is stored is always explained.</summary>
    private async Task CommitAsync(AccountState next)
    {
        await FlushAsync();
        await WriteAsync(next);
    }

    private async Task WriteAsync(AccountState next)
    {
        if (ReferenceEquals(next, state.State) && !unsaved)
        {
            return;
        }

        var previous = state.State;
        state.State = next with { LedgerSeq = stream!.Seq };
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

    /// <summary>Writes the in-memory state that ingestion left unsaved (its signals are already in the ledger).</summary>
    private async Task SnapshotAsync()
    {
        snapshot?.Dispose();
        snapshot = null;
        if (unsaved)
        {
            await WriteAsync(state.State);
        }
    }

    private void ScheduleSnapshot()
    {
        unsaved = true;
        snapshot ??= this.RegisterGrainTimer(
            _ => SnapshotAsync(),
            new GrainTimerCreationOptions { DueTime = Options.SnapshotDelay, Period = Timeout.InfiniteTimeSpan, Interleave = false });
    }

}

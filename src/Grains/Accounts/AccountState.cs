using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Perception;
using Autonomy.Schedules;
using Autonomy.Tenants;
using Autonomy.Triggers;

namespace Autonomy.Accounts;

/// <summary>
/// A proposal waiting for a human, with what the run knew when it was made. <see cref="Sent"/>: a human's approval
/// sent it to its execution grain, whose answer may never have come back (a call lost on the way can still arrive).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.PendingProposal")]
public sealed record PendingProposal(
    [property: Id(0)] ProposalView View,
    [property: Id(1)] long ConfigVersion,
    [property: Id(2)] bool Sent = false);

/// <summary>How a proposal left the queue: the action it produced, or REJECTED, EXPIRED, BLOCKED.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ResolvedProposal")]
public sealed record ResolvedProposal([property: Id(0)] string ProposalId, [property: Id(1)] string Resolution);

/// <summary>An execution whose executor was called but whose result has not reached the ledger yet.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.InFlightExecution")]
public sealed record InFlightExecution(
    [property: Id(0)] string ActionId,
    [property: Id(1)] string RunId,
    [property: Id(2)] string? ProposalId);

/// <summary>What ingesting a batch of signals came to: the account after it, the signals taken, those the trigger did not accept, the duplicates.</summary>
public sealed record SignalBatch(AccountState State, ImmutableArray<IngestedSignal> Accepted, ImmutableArray<(SignalInput Signal, SignalOutcome Outcome)> Suppressed, int Duplicates);

/// <summary>
/// An account's stored state. Immutable: a change replaces the whole value, so a failed write restores it. Every
/// collection has a bound: <see cref="MaxActions"/>, <see cref="MaxPending"/>, <see cref="MaxResolved"/>,
/// <see cref="MaxInFlight"/>, the signal memory (<c>Autonomy:Engine:SignalIdMemory</c>), the trigger window
/// (<see cref="TriggerWindow.MaxSignals"/>), cooldowns (one per registered trigger type) and recent runs (the hourly cap).
/// </summary>
[GenerateSerializer, Alias("autonomy.AccountState")]
public sealed record AccountState
{
    public const int MaxActions = 200;
    public const int MaxPending = 100;
    public const int MaxResolved = 500;
    public const int MaxInFlight = 16;

    /// <summary>
    /// Whether a human approved <paramref name="proposalId"/> and its execution's result has not come back: it is
    /// answered, so neither its expiry nor a full queue may resolve it otherwise; recovery settles and resolves it.
    /// </summary>
    public bool AwaitsExecution(string proposalId) => InFlight.Values.Any(e => e.ProposalId == proposalId);

    [Id(0)] public bool Exists { get; init; }
    [Id(1)] public string? OwnerId { get; init; }
    [Id(2)] public string? Lifecycle { get; init; }
    [Id(3)] public string? Posture { get; init; }
    [Id(4)] public DateOnly? RenewalDate { get; init; }
    [Id(5)] public HeatState? Heat { get; init; }
    [Id(6)] public TriggerState Trigger { get; init; } = TriggerState.Empty;
    [Id(7)] public BudgetUsage? Budget { get; init; }
    [Id(8)] public DateTimeOffset? LastRunAt { get; init; }
    [Id(9)] public string? LastRunInputsDigest { get; init; }
    [Id(10)] public ImmutableDictionary<string, PendingProposal> Pending { get; init; } = ImmutableDictionary<string, PendingProposal>.Empty;

    /// <summary>Read only to migrate state stored before <see cref="Resolved"/> was bounded.</summary>
    [Id(11)] public ImmutableDictionary<string, string>? LegacyResolved { get; init; }

    /// <summary>The most recent executed actions, newest last (bounded).</summary>
    [Id(12)] public ImmutableList<ActionView> Actions { get; init; } = ImmutableList<ActionView>.Empty;

    /// <summary>Read only to migrate state stored before <see cref="Signals"/>.</summary>
    [Id(14)] public ImmutableQueue<string>? LegacySeenOrder { get; init; }

    [Id(15)] public ImmutableDictionary<string, DateTimeOffset> RitualsHandled { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty;
    [Id(16)] public DateTimeOffset ScheduledSince { get; init; }
    [Id(17)] public DateTimeOffset? LastTickAt { get; init; }
    [Id(18)] public TimeSpan TickPeriod { get; init; }
    [Id(19)] public long Counter { get; init; }
    [Id(20)] public DateTimeOffset? DeferredUntil { get; init; }
    // Id 21 (the account's copy of its Mode 4 opt-in) is retired: the tenant's opt-in is the only copy.

    /// <summary>The seq of the account's last ledger entry whose effect this value holds (replay starts after it). Never lowered.</summary>
    [Id(22)] public long LedgerSeq { get; init; }

    /// <summary>The ids of recent signals, for idempotency.</summary>
    [Id(23)] public SignalMemory Signals { get; init; } = SignalMemory.Empty;

    /// <summary>Resolved proposals, oldest first: what a repeated approval returns, and why a late one is refused.</summary>
    [Id(24)] public ImmutableList<ResolvedProposal> Resolved { get; init; } = ImmutableList<ResolvedProposal>.Empty;

    /// <summary>Executions called but not yet settled in the ledger; completed by recovery, never called twice.</summary>
    [Id(25)] public ImmutableDictionary<string, InFlightExecution> InFlight { get; init; } = ImmutableDictionary<string, InFlightExecution>.Empty;

    /// <summary>The pull cadence per connector of the tenant (one entry per enabled connector, so bounded by the tenant's connectors).</summary>
    [Id(45)] public ImmutableDictionary<string, PullState> Pulls { get; init; } = ImmutableDictionary<string, PullState>.Empty;

    /// <summary>When the last new signal arrived: fresh data that shortens the pull cadence.</summary>
    [Id(46)] public DateTimeOffset? LastSignalAt { get; init; }

    /// <summary>State stored by an earlier version, in today's shape.</summary>
    public AccountState Migrated(int signalMemory)
    {
        var s = this;
        if (LegacySeenOrder is { IsEmpty: false } order)
        {
            var memory = Signals;
            foreach (var id in order)
            {
                memory = memory.Remember(id, signalMemory);
            }

            s = s with { Signals = memory };
        }

        if (LegacyResolved is { Count: > 0 } resolved)
        {
            foreach (var (id, resolution) in resolved)
            {
                s = s.WithResolved(id, resolution);
            }
        }

        return s with { LegacySeenOrder = null, LegacyResolved = null };
    }

    /// <summary>Marks a pending proposal as sent to its execution grain by a human's approval.</summary>
    public AccountState WithApprovalSent(string proposalId) =>
        Pending.TryGetValue(proposalId, out var pending) && !pending.Sent
            ? this with { Pending = Pending.SetItem(proposalId, pending with { Sent = true }) }
            : this;

    public AccountState WithAction(ActionView action)
    {
        var list = Actions.RemoveAll(a => a.ActionId == action.ActionId).Add(action);
        return this with { Actions = list.Count > MaxActions ? list.RemoveRange(0, list.Count - MaxActions) : list };
    }

    public string? ResolutionOf(string proposalId) => Resolved.FirstOrDefault(r => r.ProposalId == proposalId)?.Resolution;

    /// <summary>Takes the proposal out of the queue and remembers how it left (the oldest resolutions are forgotten).</summary>
    public AccountState WithResolved(string proposalId, string resolution)
    {
        var list = Resolved.RemoveAll(r => r.ProposalId == proposalId).Add(new ResolvedProposal(proposalId, resolution));
        return this with
        {
            Pending = Pending.Remove(proposalId),
            Resolved = list.Count > MaxResolved ? list.RemoveRange(0, list.Count - MaxResolved) : list,
        };
    }

    /// <summary>Marks the account as existing (and starts its schedule) the first time anything happens to it.</summary>
    public AccountState Touched(DateTimeOffset now) => Exists
        ? this with { Heat = Heat ?? HeatState.Cold(now) }
        : this with { Exists = true, ScheduledSince = now, Heat = HeatState.Cold(now), Budget = BudgetUsage.Start(AutonomyBudget.DayOf(now)) };

    /// <summary>The heat tier at <paramref name="now"/> (cold for an account not heated yet).</summary>
    public HeatTier TierAt(DateTimeOffset now) => Perception.Heat.At(Heat ?? HeatState.Cold(now), now).Tier;

    /// <summary>What the account's pulls are planned from at <paramref name="now"/>: whether it exists, its tier, its last signal, the stored cadence.</summary>
    public PullBasis PullBasis(DateTimeOffset now) => new(Exists, TierAt(now), LastSignalAt, Pulls);

    /// <summary>When the wake timer is due: a closing window or a deferred run; never for a parked window (the next signal or ritual takes it).</summary>
    public DateTimeOffset? WakeDueAt => Trigger.Window is not { IsParked: false } w ? null : DeferredUntil ?? w.DueAt;

    /// <summary>The proposals nobody answered in time; one whose approved execution is in flight is answered.</summary>
    public ImmutableArray<PendingProposal> Overdue(DateTimeOffset now) =>
        [.. Pending.Values.Where(p => p.View.ExpiresAt <= now && !AwaitsExecution(p.View.ProposalId))];

    /// <summary>An upstream update: null fields are left as they are; a new posture sets the heat floor.</summary>
    public AccountState Updated(AccountUpdate update, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(update);
        var next = Touched(now) with
        {
            OwnerId = update.OwnerId ?? OwnerId,
            Lifecycle = update.Lifecycle ?? Lifecycle,
            Posture = update.Posture ?? Posture,
            RenewalDate = update.RenewalDate ?? RenewalDate,
        };
        return update.Posture is { } posture ? next with { Heat = Perception.Heat.WithPosture(next.Heat!, Perception.Posture.Score(posture), now) } : next;
    }

    /// <summary>
    /// A new proposal in the queue. A full queue first expires its oldest (never one whose approved execution is in
    /// flight: that one is answered); they are returned, to be ledgered and taken off the owner's needs-input.
    /// </summary>
    public (AccountState State, ImmutableArray<ProposalView> Evicted) Queued(PendingProposal pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        var s = this;
        var evicted = ImmutableArray.CreateBuilder<ProposalView>();
        while (s.Pending.Count >= MaxPending)
        {
            evicted.Add(s.Pending.Values.Where(p => !s.AwaitsExecution(p.View.ProposalId)).MinBy(p => (p.View.CreatedAt, p.View.ProposalId))!.View);
            s = s.WithResolved(evicted[^1].ProposalId, "EXPIRED");
        }

        return (s with { Pending = s.Pending.SetItem(pending.View.ProposalId, pending) }, evicted.ToImmutable());
    }

    /// <summary>The action a repeated approval of an executed proposal returns; null when it was not executed.</summary>
    public ActionView? ExecutedFor(string proposalId) =>
        ResolutionOf(proposalId) is { } resolution ? Actions.FirstOrDefault(a => a.ActionId == resolution) : null;

    /// <summary>
    /// Refuses a human's approval of <paramref name="view"/> under <paramref name="actionId"/> unless it is bound to the
    /// digest the human saw and within the bound on executions of unknown outcome (one already in flight may be asked again).
    /// </summary>
    public void AdmitApproval(ProposalView view, string argsDigest, string actionId)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (!string.Equals(argsDigest, view.ArgsDigest, StringComparison.Ordinal))
        {
            throw new ConflictException("ARGS_DIGEST_MISMATCH", $"The proposal changed since it was shown: argsDigest is now {view.ArgsDigest}. Reload it and decide again.");
        }

        if (InFlight.Count >= MaxInFlight && !InFlight.ContainsKey(actionId))
        {
            throw new ConflictException("EXECUTIONS_PENDING",
                $"{InFlight.Count} executions of this account await their executor's answer (at most {MaxInFlight}); approve again once they are settled.");
        }
    }

    /// <summary>Refuses to revert an action that did not succeed or whose type is not revertible.</summary>
    public static void EnsureRevertible(ActionView action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (!action.Revertible || action.Status != ActionStatus.Succeeded)
        {
            throw new ConflictException("NOT_REVERTIBLE", $"Action {action.ActionId} cannot be reverted: {(action.Revertible ? "it did not succeed" : $"{action.ActionType} is not revertible")}.");
        }
    }

    /// <summary>Every pending proposal shown in <paramref name="sellerId"/>'s queue (an owner change).</summary>
    public AccountState WithPendingShownTo(string sellerId) =>
        this with { Pending = Pending.ToImmutableDictionary(p => p.Key, p => p.Value with { View = p.Value.View with { SellerId = sellerId } }) };

    public ActionView ActionOf(string actionId) =>
        Actions.FirstOrDefault(a => a.ActionId == actionId) ?? throw new NotFoundException($"Action {actionId} does not exist.");

    /// <summary>Why <paramref name="proposalId"/>, no longer pending, cannot be answered: it expired, was resolved, or never existed.</summary>
    public AutonomyException NotPending(string proposalId) => ResolutionOf(proposalId) switch
    {
        "EXPIRED" => new ConflictException("PROPOSAL_EXPIRED", $"Proposal {proposalId} expired before anyone answered it."),
        { } resolution => new ConflictException("PROPOSAL_RESOLVED", $"Proposal {proposalId} was already resolved ({resolution})."),
        null => new NotFoundException($"Proposal {proposalId} does not exist."),
    };

    /// <summary>The account as the API shows it at <paramref name="now"/>, with the pull cadence its pull grain planned.</summary>
    public AccountView View(string tenantId, string accountId, TenantSnapshot tenant, RitualConfig rituals, ImmutableArray<PullView> pulls, DateTimeOffset now)
    {
        var heat = Heat is { } h ? Perception.Heat.At(h, now) : HeatState.Cold(now);
        var usage = (Budget ?? BudgetUsage.Start(AutonomyBudget.DayOf(now))).On(AutonomyBudget.DayOf(now));
        var limit = Budget is null ? 0 : AutonomyBudget.EffectiveAccountLimit(tenant.Budget, Budget, usage.Day);
        return new AccountView(
            tenantId, accountId, OwnerId, Lifecycle, Posture, RenewalDate, heat.Score, heat.Tier,
            Trigger.CooldownUntil.Where(c => c.Value > now).ToImmutableDictionary(),
            new BudgetUseView(usage.Day, usage.Total, limit, usage.PerActionType),
            LastTickAt is { } last ? last + TickPeriod : Exists ? ScheduledSince + TickPeriod : null,
            LastTickAt,
            Exists ? RitualPlanner.Next(rituals, Ids.AccountKey(tenantId, accountId), RenewalDate, now) : null,
            DeferredUntil ?? (Trigger.Window is { IsParked: false } w ? w.DueAt : null),
            [.. Pending.Values.Select(p => p.View).OrderByDescending(p => p.CreatedAt)],
            [.. Actions.Reverse()],
            tenant.AccountOptedIn,
            pulls);
    }

    /// <summary>
    /// Signals in order: an id already remembered is a duplicate and changes nothing; each new one is folded by
    /// <see cref="Ingest"/> (value 0.5 when none is given). Returns the account after them, the signals taken as
    /// SIGNAL_INGESTED records them, those the trigger did not accept with why, and how many were duplicates.
    /// </summary>
    public SignalBatch IngestAll(TriggerRegistry registry, ImmutableArray<SignalInput> signals, int memory, DateTimeOffset now)
    {
        var next = this;
        var accepted = ImmutableArray.CreateBuilder<IngestedSignal>();
        var suppressed = ImmutableArray.CreateBuilder<(SignalInput, SignalOutcome)>();
        var duplicates = 0;
        foreach (var signal in signals)
        {
            if (next.Signals.Contains(signal.Id))
            {
                duplicates++;
                continue;
            }

            var value = signal.Value ?? 0.5;
            (next, var outcome) = next.Ingest(registry, new SignalRef(signal.Id, signal.Type, now, value), memory, now);
            accepted.Add(new IngestedSignal(signal.Id, signal.Type, signal.OccurredAt, value, signal.Attributes is { } a ? JsonNode.Parse(a) : null));
            if (outcome.Verdict != TriggerVerdict.Accepted)
            {
                suppressed.Add((signal, outcome));
            }
        }

        return new SignalBatch(next, accepted.ToImmutable(), suppressed.ToImmutable(), duplicates);
    }

    /// <summary>
    /// The account's ledger entries a stored snapshot does not hold yet (a crash between acknowledgement and snapshot),
    /// folded: signals not remembered are ingested again (under <paramref name="registry"/>), executions whose steps
    /// reached the ledger but whose result did not are tracked in flight, and the watermark moves to the last entry.
    /// Returns the account after them and how many signals were replayed.
    /// </summary>
    public (AccountState State, int Replayed) Replayed(IReadOnlyList<LedgerEntry> entries, TriggerRegistry? registry, int memory)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var (s, replayed, started) = (this, 0, InFlight);
        foreach (var entry in entries)
        {
            if (entry.Type == LedgerTypes.SignalIngested)
            {
                s = s.Touched(entry.At);
                foreach (var signal in AccountLedger.Read<SignalIngestedPayload>(entry).Signals)
                {
                    if (!s.Signals.Contains(signal.Id))
                    {
                        (s, _) = s.Ingest(registry!, new SignalRef(signal.Id, signal.Type, entry.At, signal.Value), memory, entry.At);
                        replayed++;
                    }
                }
            }

            started = TrackExecution(started, entry);
            s = s with { LedgerSeq = entry.Seq };
        }

        // Tracked on top of the stored executions in flight: recovery asks each one's execution grain what became of it.
        return (s with { InFlight = s.InFlight.SetItems(started) }, replayed);
    }

    /// <summary>
    /// Executions whose steps reached the ledger but whose result did not, after one more entry of the account's
    /// stream: opened by a clearance or an approval, closed by a stop or a result.
    /// </summary>
    private static ImmutableDictionary<string, InFlightExecution> TrackExecution(ImmutableDictionary<string, InFlightExecution> started, LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        switch (entry.Type)
        {
            case LedgerTypes.KillSwitchChecked:
                var check = AccountLedger.Read<KillSwitchCheckedPayload>(entry);
                return check.Stopped ? started.Remove(check.ActionId)
                    : started.ContainsKey(check.ActionId) ? started
                    : started.SetItem(check.ActionId, new InFlightExecution(check.ActionId, entry.RunId ?? string.Empty, null));
            case LedgerTypes.ProposalResolved:
                var resolved = AccountLedger.Read<ProposalResolvedPayload>(entry);
                return resolved is { Resolution: "APPROVED" or "EDITED", ActionId: { } actionId }
                    ? started.SetItem(actionId, new InFlightExecution(actionId, entry.RunId ?? string.Empty, resolved.ProposalId))
                    : started;
            case LedgerTypes.ActionExecuted or LedgerTypes.ActionFailed:
                // Entries written before the payloads were typed carry the id only inside the action.
                var settled = AccountLedger.Read<ActionResultPayload>(entry);
                return ((string?)settled.ActionId ?? settled.Action?.ActionId) is { } id ? started.Remove(id) : started;
            default:
                return started;
        }
    }

    /// <summary>
    /// One new signal: remembered for idempotency, added to heat, offered to the trigger. Pure, so the ingest path
    /// and the replay of the ledger after a crash fold signals the same way.
    /// </summary>
    public (AccountState State, SignalOutcome Outcome) Ingest(TriggerRegistry registry, SignalRef signal, int memory, DateTimeOffset at)
    {
        var outcome = DecisionTrigger.OnSignal(registry, Trigger, signal, at);
        var next = this with
        {
            Signals = Signals.Remember(signal.Id, memory),
            Heat = Perception.Heat.OnSignal(Heat ?? HeatState.Cold(at), signal.Value, at),
            Trigger = outcome.State,
            LastSignalAt = at,
        };
        return (next, outcome);
    }
}

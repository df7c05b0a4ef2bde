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

/// <summary>
/// An account's stored state. Immutable: a change replaces the whole value, so a failed write restores it. Every
/// collection has a bound: <see cref="MaxActions"/>, <see cref="MaxPending"/>, <see cref="MaxResolved"/>,
/// <see cref="MaxInFlight"/>, the signal memory (<c>Autonomy:Engine:SignalIdMemory</c>), the trigger window
/// (<see cref="TriggerWindow.MaxSignals"/>), cooldowns (one per registered trigger type) and recent runs (the hourly cap).
/// </summary>
[GenerateSerializer, Alias("autonomy.AccountState")]
public sealed partial record AccountState
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

    /// <summary>Marks the account as existing (and starts its schedule) the first time anything happens to it.</summary>
    public AccountState Touched(DateTimeOffset now) => Exists
        ? Heat is null ? this with { Heat = HeatState.Cold(now) } : this
        : this with { Exists = true, ScheduledSince = now, Heat = HeatState.Cold(now), Budget = BudgetUsage.Start(AutonomyBudget.DayOf(now)) };

    /// <summary>The heat tier at <paramref name="now"/> (cold for an account not heated yet).</summary>
    public HeatTier TierAt(DateTimeOffset now) => Heat is null ? HeatTier.Cold : Perception.Heat.TierAt(Heat, now);

    /// <summary>What the account's pulls are planned from at <paramref name="now"/>: whether it exists, its tier, its last signal, the stored cadence.</summary>
    public PullBasis PullBasis(DateTimeOffset now) => new(Exists, TierAt(now), LastSignalAt, Pulls);

    /// <summary>When the wake timer is due: a closing window or a deferred run; never for a parked window (the next signal or ritual takes it).</summary>
    public DateTimeOffset? WakeDueAt => Trigger.Window is not { IsParked: false } w ? null : DeferredUntil ?? w.DueAt;

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
}

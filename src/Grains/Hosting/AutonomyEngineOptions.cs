using Autonomy.CostGate;
using Autonomy.Perception;
using Autonomy.Schedules;

namespace Autonomy.Hosting;

/// <summary>Engine tuning (section "Autonomy:Engine"). Defaults suit production; tests shorten the periods.</summary>
public sealed class AutonomyEngineOptions
{
    public const string Section = "Autonomy:Engine";

    /// <summary>How long a proposal waits for a human before it expires (outcome EXPIRED).</summary>
    public TimeSpan ApprovalTtl { get; set; } = TimeSpan.FromHours(72);

    /// <summary>
    /// The cost gate's minimum interval between two decision runs of one account, for tenants whose cost budget sets
    /// none (a run asked for sooner is deferred, its signals held). Default 5 minutes; 0: none.
    /// </summary>
    public TimeSpan MinRunInterval { get; set; } = GateThresholds.Default.MinRunInterval;

    /// <summary>The cost gate's minimum marginal value of a run, for tenants whose cost budget sets none.</summary>
    public double MinMarginalValue { get; set; } = GateThresholds.Default.MinMarginalValue;

    /// <summary>Reminder period per heat tier.</summary>
    public TimeSpan HotTick { get; set; } = TickPeriods.Default.Hot;

    public TimeSpan WarmTick { get; set; } = TickPeriods.Default.Warm;

    public TimeSpan ColdTick { get; set; } = TickPeriods.Default.Cold;

    /// <summary>How often a seller with the digest switched on checks whether it is due.</summary>
    public TimeSpan DigestTick { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Days before the renewal date when the renewal-runway ritual runs; unset: <see cref="RitualConfig.Default"/>'s
    /// 90, 60 and 30. Null rather than an initialized array: configuration binding appends to an existing array, so
    /// a configured list would otherwise be added to the default instead of replacing it.
    /// </summary>
    public int[]? RenewalRunwayDays { get; set; }

    /// <summary>How long a ritual tick may be late and still run after downtime.</summary>
    public TimeSpan CatchUpWindow { get; set; } = RitualConfig.Default.CatchUpWindow;

    /// <summary>How long an account may reuse its tenant's trigger registry on the ingest path (safety checks always read fresh).</summary>
    public TimeSpan TriggerCacheTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How soon an account writes its state after ingesting signals. Signals are durable in the ledger when they
    /// are acknowledged; the snapshot only saves replay work, so batching writes here is what lets ingestion scale.
    /// At most one snapshot per account per delay: 30 s halved the ingest benchmark's cost against 2 s (bench/RESULTS.md),
    /// and an activation after a crash replays at most that much of the account's ledger.
    /// </summary>
    public TimeSpan SnapshotDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How soon an account with a pending run (an open trigger window, a deferred run) is woken after its activation
    /// was lost with its silo or process: while a run is pending the account keeps a reminder (period and slack past
    /// the run's due time), removed once nothing is pending. Orleans' minimum reminder period is 1 minute.
    /// </summary>
    public TimeSpan PendingRunGuard { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many signal ids an account remembers for idempotency.</summary>
    public int SignalIdMemory { get; set; } = 4096;

    /// <summary>The tick periods by tier (one value while the three settings are unchanged: the ingest path reads it per signal).</summary>
    public TickPeriods Ticks => _ticks is { } t && t.Hot == HotTick && t.Warm == WarmTick && t.Cold == ColdTick ? t : _ticks = new(HotTick, WarmTick, ColdTick);

    private TickPeriods? _ticks;

    public RitualConfig Rituals => RitualConfig.Default with
    {
        RenewalRunwayDays = RenewalRunwayDays is { } days ? [.. days] : RitualConfig.Default.RenewalRunwayDays,
        CatchUpWindow = CatchUpWindow,
    };
}

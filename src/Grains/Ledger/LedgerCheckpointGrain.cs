using System.Diagnostics.Metrics;
using Autonomy.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Autonomy.Ledger;

/// <summary>The writer of one tenant's checkpoint chain (key: the tenant id).</summary>
[Alias("autonomy.ledger.ILedgerCheckpointGrain")]
public interface ILedgerCheckpointGrain : IGrainWithStringKey
{
    /// <summary>Makes sure the tenant is checkpointed periodically (its reminder and timer); cheap when already so.</summary>
    [OneWay, Alias("Start")]
    Task StartAsync();

    /// <summary>Writes a checkpoint now if anything was written since the last one.</summary>
    [Alias("CheckpointNow")]
    Task<LedgerCheckpointOutcome> CheckpointNowAsync();

    /// <summary>The last checkpoint this writer wrote (kept in its own grain state, outside the ledger store), or null.</summary>
    [Alias("GetWitness"), ReadOnly]
    Task<LedgerCheckpointWitness?> GetWitnessAsync();
}

/// <summary>What a checkpoint attempt did: wrote one, found nothing new, or refused (a truncation, named).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ledger.CheckpointOutcome")]
public sealed record LedgerCheckpointOutcome(
    [property: Id(0)] LedgerCheckpoint? Written,
    [property: Id(1)] string? Refused,
    [property: Id(2)] LedgerTruncation? Truncation);

/// <summary>The checkpoint writer's own state: the last checkpoint it wrote, the witness a cut checkpoint chain is compared with.</summary>
[GenerateSerializer, Alias("autonomy.ledger.CheckpointGrainState")]
public sealed record LedgerCheckpointGrainState
{
    [Id(0)] public long Seq { get; init; }
    [Id(1)] public string? Hash { get; init; }
}

/// <summary>
/// Writes a tenant's signed checkpoints (<see cref="LedgerCheckpoint"/>): every
/// <see cref="LedgerCheckpointOptions.CheckpointInterval"/> while anything was written, and once more when the
/// grain is deactivated (its silo stopping: best effort, bounded by Orleans' deactivation timeout; a crash writes
/// none, and entries since the last checkpoint are then reported "not yet checkpointed" until the next one).
/// It learns that something was written without any call on the ingest path: each tick asks the store for the
/// heads of streams with entries after the cursor of its last checkpoint, an index range that is empty when
/// nothing happened. Before signing it checks the heads against what earlier checkpoints recorded: a head lower
/// than recorded, the same seq with another hash, or a recorded entry that is gone (the tail was cut and written
/// again) makes it refuse, log the truncation and write nothing, so a cut tail is never blessed. It also refuses
/// when the store's checkpoint chain is shorter than the last checkpoint it wrote (its witness, kept in grain
/// storage, not in the ledger database). A reminder (at least one minute) reactivates it after a restart; a
/// timer keeps the configured period while it is active, paced by <see cref="LedgerCheckpointCadence"/> (after a long
/// pass, the next periodic one waits a multiple of its duration). Started by the tenant grain's activation.
/// </summary>
[GrainType("autonomy.ledger-checkpoint")]
public sealed class LedgerCheckpointGrain(
    [PersistentState("ledger-checkpoint", "autonomy")] IPersistentState<LedgerCheckpointGrainState> witness,
    ILedger ledger,
    LedgerCheckpointKeyring keys,
    IOptions<LedgerCheckpointOptions> options,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
    LedgerCheckpointAnchor anchor,
    ILogger<LedgerCheckpointGrain> logger) : Grain, ILedgerCheckpointGrain, IRemindable
{
    private const string Reminder = "ledger-checkpoint";

    private static readonly Meter Meter = new(LedgerMetrics.MeterName);
    private static readonly Counter<long> Written = Meter.CreateCounter<long>("autonomy.ledger.checkpoints", "{checkpoint}", "Ledger checkpoints written.");
    private static readonly Counter<long> Refusals = Meter.CreateCounter<long>("autonomy.ledger.checkpoint_refusals", "{checkpoint}", "Ledger checkpoints refused because a stream or the checkpoint chain was cut.");
    private static readonly Histogram<double> PassDuration = Meter.CreateHistogram<double>("autonomy.ledger.checkpoint_pass_duration", "ms", "Duration of one ledger checkpoint pass (the walk over the tenant's recorded heads).");
    private static readonly Counter<long> Deferrals = Meter.CreateCounter<long>("autonomy.ledger.checkpoint_deferrals", "{tick}", "Periodic checkpoint ticks skipped because the last pass was long (the cadence stretched to bound its CPU share).");

    private LedgerCheckpointWriter? _writer;
    private LedgerCheckpointCadence? _cadence;
    private LedgerAnchorQueue? _unanchored;
    private IGrainTimer? _timer;
    private bool _started;

    private string TenantId => this.GetPrimaryKeyString();

    public async Task StartAsync()
    {
        if (_started)
        {
            return;
        }

        _started = true;
        var period = options.Value.CheckpointInterval;
        _timer ??= this.RegisterGrainTimer(_ => TickAsync(), new GrainTimerCreationOptions(period, period) { Interleave = false, KeepAlive = true });
        try
        {
            var reminderPeriod = period < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : period;
            if (await this.GetReminder(Reminder) is null)
            {
                await this.RegisterOrUpdateReminder(Reminder, reminderPeriod, reminderPeriod);
            }
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            // The timer runs while this activation lives; the tenant's next activation registers the reminder.
            _started = false;
            logger.LogWarning(ex, "Checkpoint reminder of tenant {TenantId} not registered yet", TenantId);
        }
    }

    public Task<LedgerCheckpointOutcome> CheckpointNowAsync() => CheckpointAsync(CancellationToken.None, anchored: true);

    public Task<LedgerCheckpointWitness?> GetWitnessAsync() => Task.FromResult(Witness());

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == Reminder)
        {
            // Activated by the reminder after a restart: from now on the timer keeps the period.
            await StartAsync();
            await TickAsync();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unanchored?.Clear(dropped: true) is > 0 and var lost)
        {
            // The receiver sees the gap: the next checkpoint it gets names its predecessor's hash.
            logger.LogWarning("{Count} checkpoints of tenant {TenantId} were never delivered to the anchor webhook", lost, TenantId);
        }

        anchor.Forget(TenantId);
        if (!_started && _writer is null)
        {
            return;
        }

        try
        {
            // Not anchored: other grains may already be gone; the anchor sees it through the next checkpoint's prevHash.
            await CheckpointAsync(cancellationToken, anchored: false);
        }
        catch (Exception ex)
        {
            // Best effort: the entries stay "not yet checkpointed" until the next checkpoint.
            logger.LogWarning(ex, "Final checkpoint of tenant {TenantId} not written ({Reason})", TenantId, reason.ReasonCode);
        }
    }

    private async Task TickAsync()
    {
        if (_cadence is { } cadence && !cadence.IsDue())
        {
            // The last pass was long: the next waits its cost-bounded pause (the entries stay "not yet checkpointed").
            Deferrals.Add(1);
            return;
        }

        try
        {
            await CheckpointAsync(CancellationToken.None, anchored: true);
        }
        catch (NotSupportedException ex)
        {
            // A ledger that keeps no checkpoints (a test double): nothing to do for this activation.
            _timer?.Dispose();
            _timer = null;
            logger.LogInformation(ex, "The ledger of tenant {TenantId} keeps no checkpoints", TenantId);
        }
        catch (Exception ex) when (ex is LedgerUnavailableException or LedgerConflictException)
        {
            // A store that is down (or another writer of this tenant's chain, during a move): the writer re-reads next tick.
            logger.LogWarning(ex, "Checkpoint of tenant {TenantId} not written", TenantId);
        }
    }

    private async Task<LedgerCheckpointOutcome> CheckpointAsync(CancellationToken cancellationToken, bool anchored)
    {
        _writer ??= new LedgerCheckpointWriter(ledger, keys, time, TenantId, logger);
        var cadence = _cadence ??= new LedgerCheckpointCadence(time, options.Value.CheckpointInterval, options.Value.UncheckpointedAgeLimit());
        var started = cadence.Start();
        LedgerCheckpointOutcome outcome;
        try
        {
            outcome = await _writer.WriteAsync(Witness(), cancellationToken);
        }
        finally
        {
            Paced(cadence, started);
        }

        if (outcome.Refused is { } problem)
        {
            Refusals.Add(1);
            logger.LogError("Ledger checkpoint refused: {Problem}; GET /v1/tenants/{TenantId}/ledger/verify names it", problem, TenantId);
            return outcome;
        }

        if (outcome.Written is not { } checkpoint)
        {
            if (anchored)
            {
                // Nothing new: a good moment to retry the deliveries that failed.
                await AnchorAsync(null, cancellationToken);
            }

            return outcome;
        }

        Written.Add(1);
        witness.State = new LedgerCheckpointGrainState { Seq = checkpoint.Seq, Hash = checkpoint.Hash };
        try
        {
            await witness.WriteStateAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            // The checkpoint is durable; only the witness lags (the next checkpoint writes it again).
            logger.LogWarning(ex, "Checkpoint witness of tenant {TenantId} not saved", TenantId);
        }

        if (anchored)
        {
            await AnchorAsync(checkpoint, cancellationToken);
        }

        return outcome;
    }

    /// <summary>
    /// External anchoring: the durable checkpoint also goes to the tenant's anchor webhook, when it has one, after those
    /// whose delivery failed before (retried at every tick until delivered).
    /// </summary>
    private async Task AnchorAsync(LedgerCheckpoint? checkpoint, CancellationToken cancellationToken)
    {
        var queue = _unanchored ??= new LedgerAnchorQueue(TenantId, time);
        if (checkpoint is not null)
        {
            queue.Add(checkpoint);
        }

        if (queue.Count == 0)
        {
            return;
        }

        try
        {
            if (await GrainFactory.GetGrain<Tenants.ITenantGrain>(TenantId).GetCheckpointAnchorAsync() is { } url)
            {
                await anchor.DeliverAsync(url, queue, cancellationToken);
            }
            else
            {
                queue.Clear(dropped: false);
                anchor.Forget(TenantId);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Checkpoints of tenant {TenantId} not anchored yet ({Count} waiting)", TenantId, queue.Count);
        }
    }

    private void Paced(LedgerCheckpointCadence cadence, long started)
    {
        var wasStretched = cadence.Stretched;
        var took = cadence.Passed(started);
        PassDuration.Record(took.TotalMilliseconds);
        if (cadence.Stretched)
        {
            logger.LogInformation(
                "Checkpoint pass of tenant {TenantId} took {Took}: the next periodic one waits {Pause} (interval {Interval}) to keep checkpoints under 1/{Share} of a core",
                TenantId, took, cadence.Pause, options.Value.CheckpointInterval, cadence.CostFactor + 1);
        }
        else if (wasStretched)
        {
            logger.LogInformation("Checkpoint passes of tenant {TenantId} are back to every {Interval}", TenantId, options.Value.CheckpointInterval);
        }
    }

    private LedgerCheckpointWitness? Witness() =>
        witness.State is { Seq: > 0, Hash: { } hash } s ? new LedgerCheckpointWitness(s.Seq, hash) : null;
}

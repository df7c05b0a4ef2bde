using System.Diagnostics.Metrics;
using Autonomy.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Autonomy.Ledger;

/// <summary>The writer of one tenant's checkpoint chain (key: the tenant id).</summary>
public interface ILedgerCheckpointGrain : IGrainWithStringKey
{
    /// <summary>Makes sure the tenant is checkpointed periodically (its reminder and timer); cheap when already so.</summary>
    [OneWay]
    Task StartAsync();

    /// <summary>Writes a checkpoint now if anything was written since the last one.</summary>
    Task<LedgerCheckpointOutcome> CheckpointNowAsync();

    /// <summary>The last checkpoint this writer wrote (kept in its own grain state, outside the ledger store), or null.</summary>
    [ReadOnly]
    Task<LedgerCheckpointWitness?> GetWitnessAsync();
}

/// <summary>What a checkpoint attempt did: wrote one, found nothing new, or refused (a truncation, named).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.LedgerCheckpointOutcome")]
public sealed record LedgerCheckpointOutcome(
    [property: Id(0)] LedgerCheckpoint? Written,
    [property: Id(1)] string? Refused,
    [property: Id(2)] LedgerTruncation? Truncation);

/// <summary>The checkpoint writer's own state: the last checkpoint it wrote, the witness a cut checkpoint chain is compared with.</summary>
[GenerateSerializer, Alias("autonomy.LedgerCheckpointGrainState")]
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
/// timer keeps the configured period while it is active. Started by the tenant grain's activation.
/// </summary>
[GrainType("autonomy.ledger-checkpoint")]
public sealed class LedgerCheckpointGrain(
    [PersistentState("ledger-checkpoint", "autonomy")] IPersistentState<LedgerCheckpointGrainState> witness,
    ILedger ledger,
    LedgerCheckpointKeyring keys,
    IOptions<LedgerCheckpointOptions> options,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
    ILogger<LedgerCheckpointGrain> logger) : Grain, ILedgerCheckpointGrain, IRemindable
{
    private const string Reminder = "ledger-checkpoint";

    private static readonly Meter Meter = new(LedgerMetrics.MeterName);
    private static readonly Counter<long> Written = Meter.CreateCounter<long>("autonomy.ledger.checkpoints", "{checkpoint}", "Ledger checkpoints written.");
    private static readonly Counter<long> Refusals = Meter.CreateCounter<long>("autonomy.ledger.checkpoint_refusals", "{checkpoint}", "Ledger checkpoints refused because a stream or the checkpoint chain was cut.");

    private LedgerCheckpointState? _state;
    private string? _cursor;
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

    public Task<LedgerCheckpointOutcome> CheckpointNowAsync() => CheckpointAsync(CancellationToken.None);

    public Task<LedgerCheckpointWitness?> GetWitnessAsync() =>
        Task.FromResult(witness.State is { Seq: > 0, Hash: { } hash } s ? new LedgerCheckpointWitness(s.Seq, hash) : null);

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
        if (_state is null)
        {
            return;
        }

        try
        {
            await CheckpointAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            // Best effort: the entries stay "not yet checkpointed" until the next checkpoint.
            logger.LogWarning(ex, "Final checkpoint of tenant {TenantId} not written ({Reason})", TenantId, reason.ReasonCode);
        }
    }

    private async Task TickAsync()
    {
        try
        {
            await CheckpointAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is LedgerUnavailableException or LedgerConflictException)
        {
            // A store that is down (or another writer of this tenant's chain, during a move): re-read and try next tick.
            _state = null;
            logger.LogWarning(ex, "Checkpoint of tenant {TenantId} not written", TenantId);
        }
    }

    private async Task<LedgerCheckpointOutcome> CheckpointAsync(CancellationToken cancellationToken)
    {
        if (_state is null)
        {
            await LoadAsync(cancellationToken);
        }

        var state = _state!;
        if (witness.State.Seq > state.Seq || (witness.State.Seq == state.Seq && witness.State.Seq > 0 && witness.State.Hash != state.Hash))
        {
            _state = null;
            return Refuse(
                $"the checkpoint chain of tenant '{TenantId}' ends at seq {state.Seq} but checkpoint {witness.State.Seq} ({witness.State.Hash}) was written: its newest checkpoints were cut",
                null);
        }

        var changes = await ledger.ReadChangedHeadsAsync(TenantId, _cursor, cancellationToken);
        if (changes.Heads.Count == 0)
        {
            _cursor = changes.Cursor;
            return new LedgerCheckpointOutcome(null, null, null);
        }

        if (state.Regressions(changes.Heads) is [var cut, ..])
        {
            return Truncated(cut);
        }

        // A head above the recorded one must still stand on the recorded entry: a tail cut and written again would not.
        var recorded = changes.Heads.Select(h => (h.StreamId, state.HeadOf(h.StreamId)))
            .Where(r => r.Item2 is { } head && head.Seq > 0)
            .Select(r => (r.StreamId, r.Item2!.Value))
            .ToList();
        if (recorded.Count > 0)
        {
            var found = (await ledger.ReadHashesAtAsync(recorded.Select(r => (r.StreamId, r.Value.Seq)).ToList(), cancellationToken))
                .ToDictionary(h => h.StreamId, StringComparer.Ordinal);
            foreach (var (streamId, head) in recorded)
            {
                if (!found.TryGetValue(streamId, out var stored) || stored.Seq != head.Seq || stored.Hash != head.Hash)
                {
                    return Truncated(new LedgerTruncation(streamId, head.Seq, head.Hash, stored?.Seq ?? 0, head.CheckpointId));
                }
            }
        }

        var changed = state.Changed(changes.Heads);
        if (changed.Count == 0)
        {
            _cursor = changes.Cursor;
            return new LedgerCheckpointOutcome(null, null, null);
        }

        var (root, streamCount) = state.Preview(changed);
        var checkpoint = LedgerCheckpoints.Create(TenantId, state.Seq + 1, time.GetUtcNow(), changed, streamCount, root, state.Hash, keys.Current);
        await ledger.AppendCheckpointAsync(checkpoint, changes.Cursor, cancellationToken);
        state.Apply(checkpoint);
        _cursor = changes.Cursor;
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

        return new LedgerCheckpointOutcome(checkpoint, null, null);
    }

    private LedgerCheckpointOutcome Truncated(LedgerTruncation cut) => Refuse(
        $"stream '{cut.StreamId}' of tenant '{TenantId}' is at seq {cut.FoundSeq} without the entry {cut.RecordedSeq} ({cut.RecordedHash}) that checkpoint {cut.CheckpointId} recorded: its tail was cut",
        cut);

    private LedgerCheckpointOutcome Refuse(string problem, LedgerTruncation? cut)
    {
        Refusals.Add(1);
        logger.LogError("Ledger checkpoint refused: {Problem}; GET /v1/tenants/{TenantId}/ledger/verify names it", problem, TenantId);
        return new LedgerCheckpointOutcome(null, problem, cut);
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var state = new LedgerCheckpointState();
        await foreach (var checkpoint in ledger.ReadCheckpointsAsync(TenantId, cancellationToken))
        {
            state.Apply(checkpoint);
        }

        _cursor = state.Seq == 0 ? null : await ledger.ReadCheckpointCursorAsync(TenantId, cancellationToken);
        _state = state;
    }
}

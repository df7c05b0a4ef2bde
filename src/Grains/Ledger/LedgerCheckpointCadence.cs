namespace Autonomy.Ledger;

/// <summary>
/// Keeps a tenant's periodic checkpoint passes to a bounded share of a core. A pass walks every stream the tenant's
/// checkpoints recorded, so its cost grows with the tenant (about 1 s of CPU per 400,000 streams on the 2-core
/// development machine, bench/RESULTS.md): after a pass that took <c>d</c>, the next periodic one is not before
/// <see cref="CostFactor"/> × <c>d</c> after it ended (at most 1 / (1 + factor) of one core, under 5% at the default
/// 20). The interval is untouched while passes are short (a pass of up to 3 s at the default one-minute interval), and
/// the pause never exceeds <c>MaxUncheckpointedAge</c> − <c>CheckpointInterval</c> − 3 × <c>d</c>: an entry written
/// as a pass began waits for that pass, the pause, a tick of the timer and the next pass, so the stretched cadence
/// never makes an entry overdue for <c>GET .../ledger/verify</c> by itself; past that cap the share is what the
/// coverage promise costs (raise <c>MaxUncheckpointedAge</c> to let it stretch further). Explicit and final checkpoints (<see cref="ILedgerCheckpointGrain.CheckpointNowAsync"/>,
/// deactivation) do not wait. Not thread safe: one grain's turn at a time.
/// </summary>
public sealed class LedgerCheckpointCadence
{
    /// <summary>The default ratio of the pause after a pass to the pass's duration.</summary>
    public const int DefaultCostFactor = 20;

    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _maxAge;
    private long _lastEnded;
    private TimeSpan _pause;

    /// <summary>A cadence for passes every <paramref name="interval"/> whose entries may wait <paramref name="maxUncheckpointedAge"/>.</summary>
    public LedgerCheckpointCadence(TimeProvider time, TimeSpan interval, TimeSpan maxUncheckpointedAge, int costFactor = DefaultCostFactor)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(costFactor, 0);
        _time = time;
        _interval = interval;
        _maxAge = maxUncheckpointedAge;
        CostFactor = costFactor;
    }

    /// <summary>The ratio of the pause after a pass to the pass's duration.</summary>
    public int CostFactor { get; }

    /// <summary>The pause the last pass asked for (zero before any).</summary>
    public TimeSpan Pause => _pause;

    /// <summary>True when the last pause is longer than the interval: the cadence is stretched.</summary>
    public bool Stretched => _pause > _interval;

    /// <summary>A timestamp (<see cref="TimeProvider.GetTimestamp"/>) to give <see cref="Passed"/> when the pass ends.</summary>
    public long Start() => _time.GetTimestamp();

    /// <summary>Whether a periodic pass may run now: the pause after the last pass is over.</summary>
    public bool IsDue() => _pause == TimeSpan.Zero || _time.GetElapsedTime(_lastEnded) >= _pause;

    /// <summary>Records a pass that began at <paramref name="started"/> and ended now; returns its duration.</summary>
    public TimeSpan Passed(long started)
    {
        _lastEnded = _time.GetTimestamp();
        var took = _time.GetElapsedTime(started, _lastEnded);
        var pause = took * CostFactor;
        var longest = _maxAge - _interval - (3 * took);
        _pause = pause < longest ? pause : longest > TimeSpan.Zero ? longest : TimeSpan.Zero;
        return took;
    }
}

using System.Collections.Immutable;

namespace Autonomy.Triggers;

/// <summary>A signal as the trigger sees it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.SignalRef")]
public sealed record SignalRef(
    [property: Id(0)] string Id,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset ReceivedAt,
    [property: Id(3)] double Value);

/// <summary>
/// Signals gathered for the next run: opened by the first, closed by debounce or the maximum wait. Bounded: it
/// keeps the first <see cref="MaxSignals"/> signals (and the first of every further type) verbatim, and counts
/// all of them, so a window held for an hour under a storm neither grows without end nor hides a type from the run.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.TriggerWindow")]
public sealed record TriggerWindow(
    [property: Id(0)] DateTimeOffset OpenedAt,
    [property: Id(1)] DateTimeOffset LastSignalAt,
    [property: Id(2)] TimeSpan Debounce,
    [property: Id(3)] TimeSpan MaxWait,
    [property: Id(4)] ImmutableArray<SignalRef> Signals,
    [property: Id(5)] bool StartedBySchedule = false,
    [property: Id(6)] int Count = 0,
    [property: Id(7)] double ValueSum = 0)
{
    public const int MaxSignals = 64;

    /// <summary>The debounce that marks a parked window (no real debounce is negative).</summary>
    public static readonly TimeSpan ParkedMark = TimeSpan.FromTicks(-1);

    /// <summary>
    /// A parked window holds signals the cost gate found not worth a run on their own (SKIP LOW_MARGINAL_VALUE): it
    /// never comes due by itself; the next signal re-opens it (its signals join the new window) and the next ritual
    /// run takes it along, so its value accumulates and is decided at the latest by that ritual's run.
    /// </summary>
    public bool IsParked => Debounce == ParkedMark;

    /// <summary>When the window closes: quiet for the debounce, but never later than the maximum wait (never, when parked).</summary>
    public DateTimeOffset DueAt
    {
        get
        {
            if (IsParked)
            {
                return DateTimeOffset.MaxValue;
            }

            var quiet = LastSignalAt + Debounce;
            var latest = OpenedAt + MaxWait;
            return quiet < latest ? quiet : latest;
        }
    }

    /// <summary>How many signals joined the window (kept or only counted).</summary>
    public int SignalCount => Math.Max(Count, Signals.IsDefault ? 0 : Signals.Length);

    /// <summary>The sum of every joined signal's value.</summary>
    public double TotalValue => Count == 0 && !Signals.IsDefault ? Signals.Sum(s => s.Value) : ValueSum;

    /// <summary>What the window holds, as a digest: the same signals twice are a duplicate run (the cost gate skips it).</summary>
    public string InputsDigest() =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Join('\n', Signals.Select(x => $"{x.Type}|{x.Id}").Order(StringComparer.Ordinal)) + $"\n#{SignalCount}")));

    /// <summary>A window of one ritual tick: closes at once and marks its run as started by a schedule (Mode 4).</summary>
    public static TriggerWindow Scheduled(SignalRef tick, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tick);
        return new(now, now, TimeSpan.Zero, TimeSpan.Zero, [tick], StartedBySchedule: true, Count: 1, ValueSum: tick.Value);
    }

    /// <summary>A new window opened by <paramref name="signal"/>.</summary>
    public static TriggerWindow Open(SignalRef signal, TimeSpan debounce, TimeSpan maxWait, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return new(now, now, debounce, maxWait, [signal], StartedBySchedule: false, Count: 1, ValueSum: signal.Value);
    }

    /// <summary>The window with one more signal: kept while there is room (or its type is new), always counted.</summary>
    public TriggerWindow Join(SignalRef signal) => Join(signal, LastSignalAt, Debounce, MaxWait);

    /// <summary>
    /// As <see cref="Join(SignalRef)"/>, with the window's quiet time and waits set in the same copy (a signal on an
    /// open window moves its last signal time and takes its type's debounce).
    /// </summary>
    public TriggerWindow Join(SignalRef signal, DateTimeOffset lastSignalAt, TimeSpan debounce, TimeSpan maxWait)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var kept = Signals.IsDefault ? [] : Signals;
        var keep = kept.Length < MaxSignals || !HasType(kept, signal.Type);
        return this with
        {
            LastSignalAt = lastSignalAt,
            Debounce = debounce,
            MaxWait = maxWait,
            Signals = keep ? kept.Add(signal) : kept,
            Count = SignalCount + 1,
            ValueSum = TotalValue + signal.Value,
        };
    }

    private static bool HasType(ImmutableArray<SignalRef> signals, string type)
    {
        foreach (var s in signals)
        {
            if (s.Type == type) return true;
        }

        return false;
    }

    /// <summary>
    /// Two windows as one: every signal of both, and started by a schedule if either part was (so a scheduled part
    /// never escapes Mode 4 by riding along with a fresh signal). The earlier opening and the later due time win.
    /// </summary>
    public TriggerWindow Merge(TriggerWindow other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.IsParked || IsParked)
        {
            // A parked part has no due time of its own: the other part's timing holds.
            return IsParked ? other.Absorb(this) : Absorb(other);
        }

        var merged = this;
        foreach (var signal in other.Signals.IsDefault ? [] : other.Signals)
        {
            merged = merged.Join(signal);
        }

        var extra = other.SignalCount - (other.Signals.IsDefault ? 0 : other.Signals.Length);
        var opened = OpenedAt < other.OpenedAt ? OpenedAt : other.OpenedAt;
        var due = DueAt > other.DueAt ? DueAt : other.DueAt;
        return merged with
        {
            OpenedAt = opened,
            LastSignalAt = due,
            Debounce = TimeSpan.Zero,
            MaxWait = due - opened,
            StartedBySchedule = StartedBySchedule || other.StartedBySchedule,
            Count = merged.SignalCount + extra,
            ValueSum = merged.TotalValue + (other.TotalValue - (other.Signals.IsDefault ? 0 : other.Signals.Sum(s => s.Value))),
        };
    }

    /// <summary>
    /// The window with every signal of <paramref name="other"/> joined (kept while there is room, all counted), its own
    /// timing and schedule mark unchanged.
    /// </summary>
    public TriggerWindow Absorb(TriggerWindow other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var merged = this;
        var kept = other.Signals.IsDefault ? [] : other.Signals;
        foreach (var signal in kept)
        {
            merged = merged.Join(signal);
        }

        return merged with
        {
            Count = merged.SignalCount + (other.SignalCount - kept.Length),
            ValueSum = merged.TotalValue + (other.TotalValue - kept.Sum(s => s.Value)),
        };
    }

    /// <summary>
    /// The window's signals, ritual ticks left out, parked (see <see cref="IsParked"/>); null when only ritual ticks
    /// were in it. A ritual tick is never parked: it belongs to its own occurrence, and carried into a later signal's
    /// window it would make that run look scheduled.
    /// </summary>
    public TriggerWindow? Parked(Func<string, bool> isRitual, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(isRitual);
        var kept = Signals.IsDefault ? [] : Signals;
        var ticks = kept.Where(s => isRitual(s.Type)).ToImmutableArray();
        var rest = kept.RemoveRange(ticks);
        var count = SignalCount - ticks.Length;
        if (count <= 0)
        {
            return null;
        }

        return new(now, now, ParkedMark, TimeSpan.Zero, rest, StartedBySchedule: false, Count: count, ValueSum: Math.Max(0, TotalValue - ticks.Sum(s => s.Value)));
    }
}

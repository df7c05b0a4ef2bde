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
    public TriggerWindow Join(SignalRef signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var kept = Signals.IsDefault ? [] : Signals;
        var keep = kept.Length < MaxSignals || !kept.Any(s => s.Type == signal.Type);
        return this with
        {
            Signals = keep ? kept.Add(signal) : kept,
            Count = SignalCount + 1,
            ValueSum = TotalValue + signal.Value,
        };
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

/// <summary>
/// An account's trigger state: the open window, cooldowns per type (only those running: a run forgets the expired
/// ones) and recent run starts (within the hour, at most the hourly cap).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.TriggerState")]
public sealed record TriggerState(
    [property: Id(0)] TriggerWindow? Window,
    [property: Id(1)] ImmutableDictionary<string, DateTimeOffset> CooldownUntil,
    [property: Id(2)] ImmutableArray<DateTimeOffset> RecentRuns)
{
    public static readonly TriggerState Empty = new(null, ImmutableDictionary<string, DateTimeOffset>.Empty, []);
}

public enum TriggerVerdict
{
    /// <summary>The signal joined the window; the run is due at the given time.</summary>
    Accepted,

    /// <summary>The signal's type is not an allow-listed trigger.</summary>
    NotRegistered,

    /// <summary>The signal's type is cooling down after a recent run.</summary>
    Cooldown,
}

public sealed record SignalOutcome(TriggerState State, TriggerVerdict Verdict, DateTimeOffset? DueAt, string Explanation);

/// <summary>What to do now: start a run with this window's signals, wait, or hold because of the hourly cap.</summary>
public sealed record TriggerPoll(TriggerState State, ImmutableArray<SignalRef> Fire, DateTimeOffset? WakeAt, bool CapReached, TriggerWindow? Fired = null)
{
    public bool ShouldFire => !Fire.IsDefaultOrEmpty;
}

/// <summary>
/// The decision trigger: debounce with a maximum wait, cooldown per type and a hard hourly cap. Pure; time is
/// passed in. A held window keeps every signal, so the run that finally starts sees all of them.
/// </summary>
public static class DecisionTrigger
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public static SignalOutcome OnSignal(TriggerRegistry registry, TriggerState state, SignalRef signal, DateTimeOffset now)
    {
        if (!registry.Types.TryGetValue(signal.Type, out var type))
        {
            return new(state, TriggerVerdict.NotRegistered, state.Window?.DueAt, $"{signal.Type} is not a registered trigger type.");
        }

        if (state.CooldownUntil.TryGetValue(signal.Type, out var until) && now < until)
        {
            return new(state, TriggerVerdict.Cooldown, state.Window?.DueAt, $"{signal.Type} is cooling down until {until:O}.");
        }

        var window = state.Window is { IsParked: true } parked
            ? TriggerWindow.Open(signal, type.Debounce, type.MaxWait, now).Absorb(parked)
            : state.Window is { } open
            ? open.Join(signal) with
            {
                LastSignalAt = now,
                Debounce = type.Debounce,
                MaxWait = type.MaxWait < open.MaxWait ? type.MaxWait : open.MaxWait,
            }
            : TriggerWindow.Open(signal, type.Debounce, type.MaxWait, now);

        var next = state with { Window = window };
        return new(next, TriggerVerdict.Accepted, window.DueAt, $"Run due at {window.DueAt:O}.");
    }

    /// <summary>
    /// An existing account's lifecycle and posture changes, as trigger types of their own (LIFECYCLE_CHANGED,
    /// POSTURE_CHANGED); none for an account seen for the first time.
    /// </summary>
    public static ImmutableArray<string> Changes(bool existed, (string? Lifecycle, string? Posture) before, (string? Lifecycle, string? Posture) after)
    {
        var changes = ImmutableArray.CreateBuilder<string>();
        if (existed && before.Lifecycle != after.Lifecycle)
        {
            changes.Add(TriggerRegistry.LifecycleChanged);
        }

        if (existed && before.Posture != after.Posture)
        {
            changes.Add(TriggerRegistry.PostureChanged);
        }

        return changes.ToImmutable();
    }

    /// <summary>
    /// Offers each change like a signal (id <c>{type}:{seq}</c>, value 1): the trigger state after them, and the
    /// changes it did not accept with why.
    /// </summary>
    public static (TriggerState State, ImmutableArray<(string Type, SignalOutcome Outcome)> Refused) OfferChanges(
        TriggerRegistry registry, TriggerState state, ImmutableArray<string> types, long seq, DateTimeOffset now)
    {
        var refused = ImmutableArray.CreateBuilder<(string, SignalOutcome)>();
        foreach (var type in types)
        {
            var outcome = OnSignal(registry, state, new SignalRef($"{type}:{seq}", type, now, 1.0), now);
            state = outcome.State;
            if (outcome.Verdict != TriggerVerdict.Accepted)
            {
                refused.Add((type, outcome));
            }
        }

        return (state, refused.ToImmutable());
    }

    /// <summary>Closes the window when it is due and the hourly cap allows a run.</summary>
    public static TriggerPoll Poll(TriggerRegistry registry, TriggerState state, DateTimeOffset now)
    {
        if (state.Window is not { IsParked: false } window)
        {
            // A parked window waits for a signal or a ritual: it wakes nobody.
            return new(state, [], null, false);
        }

        if (now < window.DueAt)
        {
            return new(state, [], window.DueAt, false);
        }

        var recent = Recent(state, now);
        if (recent.Length >= registry.MaxRunsPerAccountPerHour)
        {
            // With a cap of zero there is no run to wait out: hold until the registry changes.
            return new(state with { RecentRuns = recent }, [], recent.IsEmpty ? null : recent[0] + Hour, true);
        }

        // Cooldowns that ran out are forgotten (they stop nothing), so the map holds only the types cooling down now,
        // never every type the tenant ever registered.
        var cooldowns = Cooling(state.CooldownUntil, now);
        foreach (var type in window.Signals.Select(s => s.Type).Distinct())
        {
            if (registry.Types.TryGetValue(type, out var t) && t.Cooldown > TimeSpan.Zero)
            {
                cooldowns = cooldowns.SetItem(type, now + t.Cooldown);
            }
        }

        var next = new TriggerState(null, cooldowns, recent.Add(now));
        return new(next, window.Signals, null, false, window);
    }

    /// <summary>
    /// Holds a run the cost gate deferred until <paramref name="until"/>: its window joins the one open now (never
    /// replaces it), so no signal of either is lost, and the held run keeps whether a schedule started it.
    /// </summary>
    public static TriggerState Hold(TriggerState state, TriggerWindow deferred, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(deferred);
        var held = deferred with { Debounce = TimeSpan.Zero, MaxWait = until - deferred.OpenedAt, LastSignalAt = until };
        return state with { Window = state.Window is { } open ? open.Merge(held) : held };
    }

    /// <summary>
    /// Gives back the hourly-cap slot a run claimed at <paramref name="startedAt"/> when the cost gate deferred it:
    /// nothing ran, and the held run claims a slot of its own when it fires, so a run deferred again and again
    /// (a budget refilling, an engine failing) is not held a further hour by the cap as well.
    /// </summary>
    public static TriggerState Release(TriggerState state, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(state);
        var recent = state.RecentRuns.IsDefault ? [] : state.RecentRuns;
        var index = recent.LastIndexOf(startedAt);
        return index < 0 ? state : state with { RecentRuns = recent.RemoveAt(index) };
    }

    /// <summary>
    /// Parks what the cost gate skipped for low marginal value (its ritual ticks left out): the signals join any
    /// window open now, or wait parked for the next signal or ritual, so low values accumulate instead of each buying
    /// a run or being dropped.
    /// </summary>
    public static TriggerState Park(TriggerState state, TriggerWindow skipped, Func<string, bool> isRitual, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(skipped);
        if (skipped.Parked(isRitual, now) is not { } parked)
        {
            return state;
        }

        return state with { Window = state.Window is { } open ? open.Absorb(parked) : parked };
    }

    /// <summary>
    /// A scheduled ritual's window with the parked signals taken along (and the parked window cleared), so the
    /// ritual's run sees them: a held low-value window is decided at the latest by the next ritual run.
    /// </summary>
    public static (TriggerState State, TriggerWindow Window) TakeParked(TriggerState state, TriggerWindow scheduled)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(scheduled);
        return state.Window is { IsParked: true } parked
            ? (state with { Window = null }, scheduled.Absorb(parked))
            : (state, scheduled);
    }

    /// <summary>Claims a run for a scheduled ritual; refused when the hourly cap is reached.</summary>
    public static (TriggerState State, bool Started) StartScheduledRun(TriggerRegistry registry, TriggerState state, DateTimeOffset now)
    {
        var recent = Recent(state, now);
        return recent.Length >= registry.MaxRunsPerAccountPerHour
            ? (state with { RecentRuns = recent }, false)
            : (state with { RecentRuns = recent.Add(now) }, true);
    }

    /// <summary>The cooldowns still running at <paramref name="now"/>.</summary>
    public static ImmutableDictionary<string, DateTimeOffset> Cooling(ImmutableDictionary<string, DateTimeOffset>? cooldowns, DateTimeOffset now)
    {
        if (cooldowns is null)
        {
            return ImmutableDictionary<string, DateTimeOffset>.Empty;
        }

        var expired = cooldowns.Where(c => c.Value <= now).Select(c => c.Key).ToList();
        return expired.Count == 0 ? cooldowns : cooldowns.RemoveRange(expired);
    }

    /// <summary>Run starts within the last hour, oldest first.</summary>
    private static ImmutableArray<DateTimeOffset> Recent(TriggerState state, DateTimeOffset now) =>
        state.RecentRuns.IsDefault ? [] : state.RecentRuns.Where(t => t > now - Hour).ToImmutableArray();
}

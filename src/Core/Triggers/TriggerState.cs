using System.Collections.Immutable;

namespace Autonomy.Triggers;

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

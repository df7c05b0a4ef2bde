using System.Collections.Immutable;

namespace Autonomy.Triggers;

/// <summary>A signal as the trigger sees it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.SignalRef")]
public sealed record SignalRef(
    [property: Id(0)] string Id,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset ReceivedAt,
    [property: Id(3)] double Value);

/// <summary>Signals gathered for the next run: opened by the first, closed by debounce or the maximum wait.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.TriggerWindow")]
public sealed record TriggerWindow(
    [property: Id(0)] DateTimeOffset OpenedAt,
    [property: Id(1)] DateTimeOffset LastSignalAt,
    [property: Id(2)] TimeSpan Debounce,
    [property: Id(3)] TimeSpan MaxWait,
    [property: Id(4)] ImmutableArray<SignalRef> Signals)
{
    /// <summary>When the window closes: quiet for the debounce, but never later than the maximum wait.</summary>
    public DateTimeOffset DueAt
    {
        get
        {
            var quiet = LastSignalAt + Debounce;
            var latest = OpenedAt + MaxWait;
            return quiet < latest ? quiet : latest;
        }
    }
}

/// <summary>An account's trigger state: the open window, cooldowns per type and recent run starts.</summary>
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

/// <summary>What to do now: start a run with these signals, wait, or hold because of the hourly cap.</summary>
public sealed record TriggerPoll(TriggerState State, ImmutableArray<SignalRef> Fire, DateTimeOffset? WakeAt, bool CapReached)
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

        var window = state.Window is { } open
            ? open with
            {
                LastSignalAt = now,
                Debounce = type.Debounce,
                MaxWait = type.MaxWait < open.MaxWait ? type.MaxWait : open.MaxWait,
                Signals = open.Signals.Add(signal),
            }
            : new TriggerWindow(now, now, type.Debounce, type.MaxWait, [signal]);

        var next = state with { Window = window };
        return new(next, TriggerVerdict.Accepted, window.DueAt, $"Run due at {window.DueAt:O}.");
    }

    /// <summary>Closes the window when it is due and the hourly cap allows a run.</summary>
    public static TriggerPoll Poll(TriggerRegistry registry, TriggerState state, DateTimeOffset now)
    {
        if (state.Window is not { } window)
        {
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

        var cooldowns = state.CooldownUntil;
        foreach (var type in window.Signals.Select(s => s.Type).Distinct())
        {
            if (registry.Types.TryGetValue(type, out var t) && t.Cooldown > TimeSpan.Zero)
            {
                cooldowns = cooldowns.SetItem(type, now + t.Cooldown);
            }
        }

        var next = new TriggerState(null, cooldowns, recent.Add(now));
        return new(next, window.Signals, null, false);
    }

    /// <summary>Claims a run for a scheduled ritual; refused when the hourly cap is reached.</summary>
    public static (TriggerState State, bool Started) StartScheduledRun(TriggerRegistry registry, TriggerState state, DateTimeOffset now)
    {
        var recent = Recent(state, now);
        return recent.Length >= registry.MaxRunsPerAccountPerHour
            ? (state with { RecentRuns = recent }, false)
            : (state with { RecentRuns = recent.Add(now) }, true);
    }

    /// <summary>Run starts within the last hour, oldest first.</summary>
    private static ImmutableArray<DateTimeOffset> Recent(TriggerState state, DateTimeOffset now) =>
        state.RecentRuns.IsDefault ? [] : state.RecentRuns.Where(t => t > now - Hour).ToImmutableArray();
}

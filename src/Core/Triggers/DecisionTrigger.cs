using System.Collections.Immutable;

namespace Autonomy.Triggers;

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
            ? open.Join(signal, now, type.Debounce, type.MaxWait < open.MaxWait ? type.MaxWait : open.MaxWait)
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

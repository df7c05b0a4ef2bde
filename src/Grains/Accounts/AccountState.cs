using System.Collections.Immutable;
using Autonomy.Budgets;
using Autonomy.Perception;
using Autonomy.Triggers;

namespace Autonomy.Accounts;

/// <summary>A proposal waiting for a human, with what the run knew when it was made.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.PendingProposal")]
public sealed record PendingProposal(
    [property: Id(0)] ProposalView View,
    [property: Id(1)] long ConfigVersion);

/// <summary>An account's stored state. Immutable: a change replaces the whole value, so a failed write restores it.</summary>
[GenerateSerializer, Alias("autonomy.AccountState")]
public sealed record AccountState
{
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

    /// <summary>Resolved proposals: id to the action it produced, or to its resolution (REJECTED, EXPIRED).</summary>
    [Id(11)] public ImmutableDictionary<string, string> Resolved { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The most recent executed actions, newest last (bounded).</summary>
    [Id(12)] public ImmutableList<ActionView> Actions { get; init; } = ImmutableList<ActionView>.Empty;

    [Id(13)] public ImmutableHashSet<string> SeenSignals { get; init; } = ImmutableHashSet<string>.Empty;
    [Id(14)] public ImmutableQueue<string> SeenOrder { get; init; } = ImmutableQueue<string>.Empty;
    [Id(15)] public ImmutableDictionary<string, DateTimeOffset> RitualsHandled { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty;
    [Id(16)] public DateTimeOffset ScheduledSince { get; init; }
    [Id(17)] public DateTimeOffset? LastTickAt { get; init; }
    [Id(18)] public TimeSpan TickPeriod { get; init; }
    [Id(19)] public long Counter { get; init; }
    [Id(20)] public DateTimeOffset? DeferredUntil { get; init; }
    [Id(21)] public bool AutonomousSchedules { get; init; }

    /// <summary>The seq of the account's last ledger entry whose effect this value holds (replay starts after it).</summary>
    [Id(22)] public long LedgerSeq { get; init; }

    public const int MaxActions = 200;

    public AccountState WithAction(ActionView action)
    {
        var list = Actions.RemoveAll(a => a.ActionId == action.ActionId).Add(action);
        return this with { Actions = list.Count > MaxActions ? list.RemoveRange(0, list.Count - MaxActions) : list };
    }

    /// <summary>
    /// One new signal: remembered for idempotency, added to heat, offered to the trigger. Pure, so the ingest path
    /// and the replay of the ledger after a crash fold signals the same way.
    /// </summary>
    public (AccountState State, SignalOutcome Outcome) Ingest(TriggerRegistry registry, SignalRef signal, int memory, DateTimeOffset at)
    {
        var outcome = DecisionTrigger.OnSignal(registry, Trigger, signal, at);
        var next = RememberSignal(signal.Id, memory) with
        {
            Heat = Perception.Heat.OnSignal(Heat ?? HeatState.Cold(at), signal.Value, at),
            Trigger = outcome.State,
        };
        return (next, outcome);
    }

    public AccountState RememberSignal(string id, int memory)
    {
        var seen = SeenSignals.Add(id);
        var order = SeenOrder.Enqueue(id);
        while (seen.Count > memory)
        {
            order = order.Dequeue(out var oldest);
            seen = seen.Remove(oldest);
        }

        return this with { SeenSignals = seen, SeenOrder = order };
    }
}

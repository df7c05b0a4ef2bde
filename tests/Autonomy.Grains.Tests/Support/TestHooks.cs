using System.Collections.Concurrent;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Microsoft.Extensions.Time.Testing;

namespace Autonomy.Tests.Support;

/// <summary>Levers a test pulls inside the silo: the clock, an engine gate per tenant, a ledger outage per tenant.</summary>
public sealed class TestHooks
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero));

    public ConcurrentDictionary<string, EngineGate> EngineGates { get; } = new();

    public ConcurrentDictionary<string, bool> LedgerDown { get; } = new();

    /// <summary>Tenants whose ledger refuses entries of one type (e.g. the result of an execution).</summary>
    public ConcurrentDictionary<string, string> LedgerRefuses { get; } = new();

    /// <summary>Per tenant: run after a write of the tenant's entries succeeded (e.g. to engage a switch mid-flush).</summary>
    public ConcurrentDictionary<string, Func<IReadOnlyList<LedgerEntry>, Task>> AfterAppend { get; } = new();

    /// <summary>Per tenant: the types of every entry a grain tried to write, refused or not.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<string>> Attempted { get; } = new();

    /// <summary>Tenants whose kill switches cannot be read (ITenantGrain.GetKillSwitchesAsync and ReadAsync, which carries them, throw).</summary>
    public ConcurrentDictionary<string, bool> SwitchesUnreadable { get; } = new();

    /// <summary>Tenants whose internal executor gives no answer (IWorkspaceGrain.ApplyAsync throws a timeout); armed with false, true once it fired.</summary>
    public ConcurrentDictionary<string, bool> ExecutorSilent { get; } = new();

    /// <summary>Tenants whose sellers are at their bound of opted-in accounts (ISellerGrain.TrackScheduleOptInAsync refuses).</summary>
    public ConcurrentDictionary<string, bool> SellerOptInsFull { get; } = new();

    /// <summary>Per tenant, how many more revocations of an opt-in the tenant grain refuses (ITenantGrain.SetScheduleOptInAsync with false throws a timeout).</summary>
    public ConcurrentDictionary<string, int> OptInRevocationsLost { get; } = new();

    /// <summary>Tenants whose grains' reminder ticks are dropped (the tests' reminders run on real time, every second at the least).</summary>
    public ConcurrentDictionary<string, bool> RemindersHeld { get; } = new();

    /// <summary>Tenants whose calls to an execution grain are lost on the way (IExecutionGrain.ExecuteAsync throws a timeout before it runs); armed with false, true once it fired.</summary>
    public ConcurrentDictionary<string, bool> ExecutionCallLost { get; } = new();

    /// <summary>Per tenant, once: run when an execution grain is asked to execute, before it acts (after the account's clearance).</summary>
    public ConcurrentDictionary<string, Func<Task>> BeforeExecute { get; } = new();

    /// <summary>Per tenant: how often the ledger was asked which heads changed since a cursor (the checkpoint writer asks once a tick).</summary>
    public ConcurrentDictionary<string, int> ChangedHeadReads { get; } = new();
}

/// <summary>Faults a test injects at grain boundaries: unreadable kill switches, an executor that never answers.</summary>
public sealed class FaultInjectionFilter(TestHooks hooks) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var key = context.TargetId.Key.ToString();
        var tenant = key.Split('/')[0];
        var method = context.InterfaceMethod.Name;
        if (method is nameof(Autonomy.Tenants.ITenantGrain.GetKillSwitchesAsync) or nameof(Autonomy.Tenants.ITenantGrain.ReadAsync) && hooks.SwitchesUnreadable.ContainsKey(tenant))
        {
            throw new TimeoutException("The tenant's kill switches cannot be read (test).");
        }

        if (method == nameof(Autonomy.Actions.IWorkspaceGrain.ApplyAsync) && hooks.ExecutorSilent.ContainsKey(tenant))
        {
            hooks.ExecutorSilent.TryUpdate(tenant, true, false);
            throw new TimeoutException("The executor did not answer (test).");
        }

        if (method == nameof(Autonomy.Sellers.ISellerGrain.TrackScheduleOptInAsync) && hooks.SellerOptInsFull.ContainsKey(tenant))
        {
            throw new Autonomy.Common.ConflictException("TOO_MANY_OPT_INS", $"A seller may have at most {Autonomy.Sellers.SellerState.MaxScheduleOptIns} accounts on autonomous schedules (test).");
        }

        if (method == nameof(IRemindable.ReceiveReminder) && hooks.RemindersHeld.ContainsKey(tenant))
        {
            return;
        }

        if (method == nameof(Autonomy.Tenants.ITenantGrain.SetScheduleOptInAsync) && context.Request.GetArgument(1) is false
            && hooks.OptInRevocationsLost.TryGetValue(tenant, out var lost) && lost > 0 && hooks.OptInRevocationsLost.TryUpdate(tenant, lost - 1, lost))
        {
            throw new TimeoutException("The revocation of an opt-in did not reach the tenant (test).");
        }

        if (method == nameof(Autonomy.Actions.IExecutionGrain.ExecuteAsync) && hooks.ExecutionCallLost.ContainsKey(tenant))
        {
            hooks.ExecutionCallLost.TryUpdate(tenant, true, false);
            throw new TimeoutException("The call to the execution grain was lost (test).");
        }

        if (method == nameof(Autonomy.Actions.IExecutionGrain.ExecuteAsync) && hooks.BeforeExecute.TryRemove(tenant, out var before))
        {
            await before();
        }

        await context.Invoke();
    }
}

/// <summary>Holds a tenant's decision runs inside the engine until released, so a test can act while a run is in flight.</summary>
public sealed class EngineGate
{
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The production playbook engine, with an optional gate per tenant.</summary>
public sealed class GatedEngine(TestHooks hooks) : IDecisionEngine
{
    public async Task<DecisionResult> ProposeAsync(DecisionContext context, CancellationToken cancellationToken = default)
    {
        if (hooks.EngineGates.TryGetValue(context.TenantId, out var gate))
        {
            gate.Entered.TrySetResult();
            await gate.Release.Task;
        }

        return PlaybookEngine.Propose(context);
    }
}

/// <summary>The real ledger, except for tenants whose ledger a test has taken down.</summary>
public sealed class SwitchableLedger(ILedger inner, TestHooks hooks) : ILedger
{
    public async Task AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        foreach (var entry in entries)
        {
            hooks.Attempted.GetOrAdd(entry.TenantId, _ => new()).Enqueue(entry.Type);
        }

        if (entries.Any(e => hooks.LedgerDown.ContainsKey(e.TenantId) || (hooks.LedgerRefuses.TryGetValue(e.TenantId, out var type) && e.Type == type)))
        {
            throw new LedgerUnavailableException("The ledger is down (test).");
        }

        await inner.AppendAsync(entries, cancellationToken);
        if (entries.Count > 0 && hooks.AfterAppend.TryGetValue(entries[0].TenantId, out var after))
        {
            await after(entries);
        }
    }

    public Task<LedgerHead?> ReadHeadAsync(string streamId, CancellationToken cancellationToken = default) => inner.ReadHeadAsync(streamId, cancellationToken);

    public Task<IReadOnlyList<LedgerEntry>> ReadStreamAsync(string streamId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadStreamAsync(streamId, afterSeq, limit, cancellationToken);

    public Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(query, cancellationToken);

    public IAsyncEnumerable<LedgerEntry> ExportAsync(string tenantId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default) =>
        inner.ExportAsync(tenantId, from, to, cancellationToken);

    public Task<LedgerVerification> VerifyAsync(string tenantId, CancellationToken cancellationToken = default) => inner.VerifyAsync(tenantId, cancellationToken);

    public Task<LedgerVerification> VerifyAsync(string tenantId, LedgerCheckpointWitness? witness, CancellationToken cancellationToken = default) =>
        inner.VerifyAsync(tenantId, witness, cancellationToken);

    public Task<LedgerVerification> VerifyAsync(string tenantId, LedgerCheckpointWitness? witness, LedgerCoverageRule? coverage, CancellationToken cancellationToken = default) =>
        inner.VerifyAsync(tenantId, witness, coverage, cancellationToken);

    public Task<LedgerHeadChanges> ReadChangedHeadsAsync(string tenantId, string? cursor, CancellationToken cancellationToken = default)
    {
        hooks.ChangedHeadReads.AddOrUpdate(tenantId, 1, (_, n) => n + 1);
        return inner.ReadChangedHeadsAsync(tenantId, cursor, cancellationToken);
    }

    public Task<IReadOnlyList<LedgerCheckpointHead>> ReadHashesAtAsync(IReadOnlyCollection<(string StreamId, long Seq)> at, CancellationToken cancellationToken = default) =>
        inner.ReadHashesAtAsync(at, cancellationToken);

    public Task AppendCheckpointAsync(LedgerCheckpoint checkpoint, string? cursor, CancellationToken cancellationToken = default) =>
        hooks.LedgerDown.ContainsKey(checkpoint.TenantId)
            ? throw new LedgerUnavailableException("The ledger is down (test).")
            : inner.AppendCheckpointAsync(checkpoint, cursor, cancellationToken);

    public IAsyncEnumerable<LedgerCheckpoint> ReadCheckpointsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        inner.ReadCheckpointsAsync(tenantId, cancellationToken);

    public Task<LedgerCheckpointTip?> ReadLastCheckpointAsync(string tenantId, CancellationToken cancellationToken = default) =>
        inner.ReadLastCheckpointAsync(tenantId, cancellationToken);

    public IAsyncEnumerable<LedgerRecordedHead> ReadRecordedHeadsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        inner.ReadRecordedHeadsAsync(tenantId, cancellationToken);

    public Task ReplaceRecordedHeadsAsync(string tenantId, IEnumerable<LedgerRecordedHead> heads, CancellationToken cancellationToken = default) =>
        hooks.LedgerDown.ContainsKey(tenantId)
            ? throw new LedgerUnavailableException("The ledger is down (test).")
            : inner.ReplaceRecordedHeadsAsync(tenantId, heads, cancellationToken);
}

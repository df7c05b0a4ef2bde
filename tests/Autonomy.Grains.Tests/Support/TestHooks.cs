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
    public Task AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default) =>
        entries.Any(e => hooks.LedgerDown.ContainsKey(e.TenantId) || (hooks.LedgerRefuses.TryGetValue(e.TenantId, out var type) && e.Type == type))
            ? Task.FromException(new LedgerUnavailableException("The ledger is down (test)."))
            : inner.AppendAsync(entries, cancellationToken);

    public Task<LedgerHead?> ReadHeadAsync(string streamId, CancellationToken cancellationToken = default) => inner.ReadHeadAsync(streamId, cancellationToken);

    public Task<IReadOnlyList<LedgerEntry>> ReadStreamAsync(string streamId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadStreamAsync(streamId, afterSeq, limit, cancellationToken);

    public Task<LedgerPage> QueryAsync(LedgerQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(query, cancellationToken);

    public IAsyncEnumerable<LedgerEntry> ExportAsync(string tenantId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default) =>
        inner.ExportAsync(tenantId, from, to, cancellationToken);

    public Task<LedgerVerification> VerifyAsync(string tenantId, CancellationToken cancellationToken = default) => inner.VerifyAsync(tenantId, cancellationToken);
}

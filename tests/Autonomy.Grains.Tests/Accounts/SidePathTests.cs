using System.Collections.Concurrent;
using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Policy;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// What the tests of the principles on the side paths share (approvals re-run the policy, every path clears the kill
/// switches after the ledger flush, steps are durable before side effects, recovery never calls an executor past a
/// switch): the collection's cluster, and runs with a change or a fault made at a chosen moment.
/// </summary>
public abstract class SidePathTests(ClusterFixture fixture)
{
    protected readonly AutonomyCluster cluster = fixture.Cluster;

    /// <summary>A signal's run with <paramref name="change"/> made while the engine decides: after the run read its tenant, before the clearance.</summary>
    protected async Task RunWhileTheEngineDecidesAsync(Scenario t, Func<Task> change)
    {
        var gate = cluster.Hooks.EngineGates[t.TenantId] = new EngineGate();
        try
        {
            await t.Account.IngestSignalsAsync([new SignalInput("s-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
            var run = t.Account.PollAsync();
            await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await change();
            gate.Release.SetResult();
            await run;
        }
        finally
        {
            cluster.Hooks.EngineGates.TryRemove(t.TenantId, out _);
        }
    }

    /// <summary>A run whose autonomous CREATE_TASK reaches an executor that never answers (its SEND_EMAIL needs a human).</summary>
    protected Task<Scenario> RunWithASilentExecutorAsync() => RunWithAsync(cluster.Hooks.ExecutorSilent);

    /// <summary>A run whose autonomous CREATE_TASK meets <paramref name="fault"/>, set for the tenant during the run only.</summary>
    protected async Task<Scenario> RunWithAsync(ConcurrentDictionary<string, bool> fault)
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        fault[t.TenantId] = false;
        try
        {
            await t.SignalAsync();

            // The execution may reach the executor after the run's grain call returned (under load it does): the fault
            // is lifted only once it fired, or that late execution would really run.
            await Eventually.UntilAsync(() => fault[t.TenantId], TimeSpan.FromSeconds(30), "the run's execution to meet the fault");
        }
        finally
        {
            fault.TryRemove(t.TenantId, out _);
        }

        return t;
    }

    /// <summary>Approves <paramref name="proposal"/> with <paramref name="afterAppend"/> hooked on the tenant's ledger writes; the refusal's code.</summary>
    protected async Task<string> ApprovalRefusedAsync(Scenario t, ProposalView proposal, Func<IReadOnlyList<LedgerEntry>, Task> afterAppend)
    {
        cluster.Hooks.AfterAppend[t.TenantId] = afterAppend;
        try
        {
            return (await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(proposal.ProposalId, proposal.ArgsDigest, t.SellerActor))).Code;
        }
        finally
        {
            cluster.Hooks.AfterAppend.TryRemove(t.TenantId, out _);
        }
    }

    /// <summary>Engages the tenant's switch right after the account's first clearance ("no switch engaged") became durable.</summary>
    protected static Func<IReadOnlyList<LedgerEntry>, Task> EngageOnClearance(Scenario t) =>
        OnClearance(() => t.Tenant.SetKillSwitchAsync("all", engaged: true, "engaged mid-flush", Scenario.Admin));

    /// <summary>Runs <paramref name="change"/> once, right after the account's first clearance ("cleared") became durable.</summary>
    protected static Func<IReadOnlyList<LedgerEntry>, Task> OnClearance(Func<Task> change)
    {
        var done = 0;
        return async entries =>
        {
            if (entries.Any(e => e.Type == LedgerTypes.KillSwitchChecked && !Read<KillSwitchCheckedPayload>(e).Stopped) && Interlocked.Exchange(ref done, 1) == 0)
            {
                await change();
            }
        };
    }

    protected static T Read<T>(LedgerEntry entry) => JsonSerializer.Deserialize<T>(entry.Payload, LedgerJson.Options)!;
}

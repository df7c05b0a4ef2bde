using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tests.Support;
using Orleans.Configuration;

namespace Autonomy.Tests.Cluster;

/// <summary>
/// A steady, bounded load of signals and approvals on many accounts, with every acknowledged signal id and
/// approval remembered, and the invariants the cluster must keep whatever happens to a silo.
/// </summary>
public sealed class ClusterLoad(AutonomyCluster cluster, string tenantId, int accounts)
{
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(60);

    public ConcurrentDictionary<string, byte> Acknowledged { get; } = new();

    public int Failures;
    public int Approvals;

    public Scenario Account(int i) => new(cluster, tenantId, $"acc-{i}");

    /// <summary>Membership tuned so a killed silo is declared dead within seconds, not minutes.</summary>
    public static void FastFailureDetection(ISiloBuilder silo) => silo.Configure<ClusterMembershipOptions>(o =>
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.NumMissedProbesLimit = 2;
        o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
        o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);
    });

    public async Task SetUpAsync(int budgetPerAccount, bool killSwitch)
    {
        var first = Account(0);
        await first.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await first.Tenant.SetBudgetAsync(new Budgets.AutonomyBudgetConfig(budgetPerAccount, System.Collections.Immutable.ImmutableDictionary<string, int>.Empty, null), Scenario.Admin);
        for (var i = 1; i < accounts; i++)
        {
            await Account(i).Account.UpsertAsync(new AccountUpdate("seller-1", "CUSTOMER", null, null), Scenario.Admin);
        }

        if (killSwitch)
        {
            await first.Tenant.SetKillSwitchAsync("all", engaged: true, "held through the fault", Scenario.Admin);
        }
    }

    /// <summary>Runs <paramref name="workers"/> loops until <paramref name="stop"/>; each signal is retried with its id until acknowledged.</summary>
    public async Task<(int Signals, TimeSpan Elapsed)> RunAsync(int workers, CancellationToken stop)
    {
        var watch = Stopwatch.StartNew();
        var sent = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async w =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var account = Account((w + (n * workers)) % accounts);
                var id = $"w{w}-{n++}";
                for (var attempt = 0; attempt < 20 && !Acknowledged.ContainsKey(id); attempt++)
                {
                    try
                    {
                        // One signal in ten starts a decision run at once; the rest wait in their debounce window.
                        var type = n % 10 == 0 ? Scenario.Instant : "WEBSITE_VISIT";
                        await account.Account.IngestSignalsAsync([new SignalInput(id, type, null, 0.8, null)], Scenario.Ingest);
                        Acknowledged.TryAdd(id, 0);
                        Interlocked.Increment(ref sent);
                        if (n % 5 == 0)
                        {
                            await ApproveOneAsync(account);
                        }
                    }
                    catch (Exception) when (attempt < 19)
                    {
                        // A silo died under this call: the same id is sent again (signal ids are idempotent), once
                        // membership no longer counts a silo the test has killed (at once when the failure had another cause).
                        Interlocked.Increment(ref Failures);
                        await MembershipSettledAsync();
                    }
                }
            }
        }));
        return (sent, watch.Elapsed);
    }

    /// <summary>
    /// Waits, bounded, until the silos that remain count no more active silos than the test has left running: a killed
    /// silo is declared dead, and a retry goes where its grains can be activated again. A look that fails (the client's
    /// gateway was the killed silo) is a look that did not see it.
    /// </summary>
    private async Task MembershipSettledAsync()
    {
        var management = cluster.Grains.GetGrain<IManagementGrain>(0);
        await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    return (await management.GetHosts(onlyActive: true)).Count <= cluster.Cluster.GetActiveSilos().Count();
                }
                catch (Exception)
                {
                    return false;
                }
            },
            SettleBound,
            "membership to declare a killed silo dead before a retry");
    }

    private async Task ApproveOneAsync(Scenario account)
    {
        var waiting = (await account.Account.GetAsync()).PendingProposals.FirstOrDefault(p => p.Decision == PolicyDecision.RequireApproval);
        if (waiting is not null)
        {
            await account.Account.ApproveAsync(waiting.ProposalId, waiting.ArgsDigest, Scenario.Admin);
            Interlocked.Increment(ref Approvals);
        }
    }

    /// <summary>Every acknowledged signal is in the ledger, chains verify, nothing executed twice, no budget exceeded.</summary>
    public async Task AssertInvariantsAsync(int budgetPerAccount, bool killSwitch)
    {
        var entries = new List<LedgerEntry>();
        await foreach (var entry in cluster.Ledger.ExportAsync(tenantId, null, null))
        {
            entries.Add(entry);
        }

        var ledgered = entries.Where(e => e.Type == LedgerTypes.SignalIngested)
            .SelectMany(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("id").GetString()!))
            .ToHashSet();
        Assert.Subset(ledgered, Acknowledged.Keys.ToHashSet());

        var verification = await cluster.Ledger.VerifyAsync(tenantId);
        Assert.True(verification.Ok, $"{verification.FirstBrokenEntryId}: {verification.Problem}");

        var executed = entries.Where(e => e.Type == LedgerTypes.ActionExecuted)
            .Select(e => JsonDocument.Parse(e.Payload).RootElement.GetProperty("action")).ToList();
        var ids = executed.Select(a => a.GetProperty("actionId").GetString()!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());

        for (var i = 0; i < accounts; i++)
        {
            var workspace = await cluster.Grains.GetGrain<IWorkspaceGrain>($"{tenantId}/acc-{i}").GetAsync();
            var accountId = $"acc-{i}";
            Assert.Equal(executed.Count(a => a.GetProperty("accountId").GetString() == accountId), workspace.Items.Length);
            var autonomous = executed.Count(a => a.GetProperty("accountId").GetString() == accountId && a.GetProperty("autonomous").GetBoolean());
            Assert.True(autonomous <= budgetPerAccount, $"{accountId} ran {autonomous} autonomous actions with a budget of {budgetPerAccount}");
            if (killSwitch)
            {
                Assert.Empty(workspace.Items);
            }
        }
    }
}

using System.Collections.Immutable;
using Autonomy.Accounts;
using Autonomy.Budgets;
using Autonomy.Platform;
using Autonomy.Policy;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Accounts;

/// <summary>Stop the embedded host and start it on the same data directory: nothing that matters is forgotten.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task KillSwitchBudgetsProposalsLedgerAndRemindersSurviveARestart()
    {
        var hooks = new TestHooks();
        string tenantId;
        string pendingId;
        await using (var first = await AutonomyCluster.StartAsync(_directory.Path, hooks))
        {
            var t = new Scenario(first);
            tenantId = t.TenantId;
            await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
            await t.Tenant.SetBudgetAsync(new AutonomyBudgetConfig(5, ImmutableDictionary<string, int>.Empty, null), Scenario.Admin);
            await t.SignalAsync();
            await t.SignalAsync();
            pendingId = (await t.NeedsInputAsync()).First(p => p.ActionType == "SEND_EMAIL").ProposalId;
            await t.Tenant.SetKillSwitchAsync("all", engaged: true, "incident before restart", Scenario.Admin);
        }

        await using var second = await AutonomyCluster.StartAsync(_directory.Path, hooks);
        var again = new Scenario(second, tenantId);

        var autonomy = await again.Tenant.GetAutonomyAsync();
        Assert.True(autonomy.KillSwitches.All.Engaged);
        Assert.Equal("incident before restart", autonomy.KillSwitches.All.Reason);

        var account = await again.Account.GetAsync();
        Assert.Equal(2, account.BudgetUse.Used);
        Assert.Contains(account.PendingProposals, p => p.ProposalId == pendingId);
        Assert.Contains(await again.NeedsInputAsync(), p => p.ProposalId == pendingId);

        var verification = await second.Ledger.VerifyAsync(tenantId);
        Assert.True(verification.Ok, verification.Problem);

        // The reminder was registered before the restart; its next tick after it is recorded on the account.
        hooks.Clock.Advance(TimeSpan.FromMinutes(5));
        var after = hooks.Clock.GetUtcNow();
        await Eventually.UntilAsync(
            async () => (await again.Account.GetAsync()).LastTickAt >= after, TimeSpan.FromSeconds(30), "a reminder tick arrives after the restart");

        // Still engaged after the restart: a new run executes nothing.
        await again.SignalAsync();
        Assert.Equal(2, (await again.Account.GetAsync()).BudgetUse.Used);
        Assert.Equal(2, (await again.TimelineAsync()).Length);
    }

    [Fact]
    public async Task AcknowledgedSignalsSurviveASiloKilledBeforeItsSnapshot()
    {
        var hooks = new TestHooks();
        var slowSnapshots = new Dictionary<string, string?> { ["Autonomy:Engine:SnapshotDelay"] = "01:00:00" };
        string tenantId;
        await using (var first = await AutonomyCluster.StartAsync(_directory.Path, hooks, settings: slowSnapshots))
        {
            var t = new Scenario(first);
            tenantId = t.TenantId;
            await t.SetUpAsync();
            var result = await t.Account.IngestSignalsAsync(
                [new SignalInput("s-1", "WEBSITE_VISIT", null, 0.9, null), new SignalInput("s-2", "WEBSITE_VISIT", null, 0.9, null)],
                Scenario.Ingest);
            Assert.Equal(2, result.Accepted);
            await first.Cluster.KillSiloAsync(first.Cluster.Silos[0]);
        }

        await using var second = await AutonomyCluster.StartAsync(_directory.Path, hooks, settings: slowSnapshots);
        var again = new Scenario(second, tenantId);

        var replayed = await again.Account.IngestSignalsAsync(
            [new SignalInput("s-1", "WEBSITE_VISIT", null, 0.9, null), new SignalInput("s-2", "WEBSITE_VISIT", null, 0.9, null)],
            Scenario.Ingest);
        Assert.Equal((0, 2), (replayed.Accepted, replayed.Duplicates));
        Assert.True((await again.Account.GetAsync()).Heat >= 1.8);
    }

    [Fact]
    public async Task ThePlatformKillSwitchSurvivesASiloKilledRightAfterTheEngage()
    {
        var hooks = new TestHooks();
        string tenantId;
        await using (var first = await AutonomyCluster.StartAsync(_directory.Path, hooks))
        {
            var t = new Scenario(first);
            tenantId = t.TenantId;
            await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
            await first.Grains.GetGrain<IPlatformGrain>(IPlatformGrain.Key).SetAsync(engaged: true, "platform incident", new Common.Actor("op-1", [Common.Actor.Operator]));
            await first.Cluster.KillSiloAsync(first.Cluster.Silos[0]);
        }

        await using var second = await AutonomyCluster.StartAsync(_directory.Path, hooks);
        var again = new Scenario(second, tenantId);

        Assert.True((await second.Grains.GetGrain<IPlatformGrain>(IPlatformGrain.Key).GetAsync()).Engaged);
        await again.SignalAsync();
        Assert.Empty(await again.TimelineAsync());
        Assert.Empty((await again.Workspace.GetAsync()).Items);
        Assert.Equal(PolicyReason.KillSwitch, (await again.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK").Reason);
    }

    public void Dispose() => _directory.Dispose();
}

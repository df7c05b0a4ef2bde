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

    /// <summary>
    /// A CRM feed's account: its first contact is a signal. Its state is written behind (with the snapshot), not with
    /// the first signal: acknowledged once the ledger holds it, the reminder registered, no state row yet. A silo
    /// killed before the snapshot loses nothing: the activation folds every acknowledged signal back, in order, and
    /// the reminder registered before the kill still ticks the account.
    /// </summary>
    [Fact]
    public async Task ANewAccountsFirstSignalsWriteNoStateYetAndAreFoldedBackAfterAKill()
    {
        var hooks = new TestHooks();
        var slowSnapshots = new Dictionary<string, string?> { ["Autonomy:Engine:SnapshotDelay"] = "01:00:00" };
        const string accountId = "fresh-1";
        string tenantId;
        await using (var first = await AutonomyCluster.StartAsync(_directory.Path, hooks, settings: slowSnapshots))
        {
            var t = new Scenario(first, accountId: accountId);
            tenantId = t.TenantId;
            Assert.Equal(2, (await t.Account.IngestSignalsAsync([Visit("s-1"), Visit("s-2")], Scenario.Ingest)).Accepted);
            Assert.Equal(1, (await t.Account.IngestSignalsAsync([Visit("s-3")], Scenario.Ingest)).Accepted);
            Assert.Equal(0, StoredAccountRows(accountId));
            await first.Cluster.KillSiloAsync(first.Cluster.Silos[0]);
        }

        await using var second = await AutonomyCluster.StartAsync(_directory.Path, hooks, settings: slowSnapshots);
        var again = new Scenario(second, tenantId, accountId);

        var account = await again.Account.GetAsync();
        Assert.Equal(2.7, account.Heat, 6);
        var replayed = await again.Account.IngestSignalsAsync([Visit("s-1"), Visit("s-2"), Visit("s-3")], Scenario.Ingest);
        Assert.Equal((0, 3), (replayed.Accepted, replayed.Duplicates));
        var ingested = (await second.Ledger.ReadStreamAsync($"account/{tenantId}/{accountId}", 0, 100))
            .Where(e => e.Type == "SIGNAL_INGESTED")
            .Select(e => string.Join(",", System.Text.RegularExpressions.Regex.Matches(e.Payload, "s-[0-9]").Select(m => m.Value)))
            .ToArray();
        Assert.Equal(["s-1,s-2", "s-3"], ingested);

        var after = hooks.Clock.GetUtcNow();
        await Eventually.UntilAsync(
            async () => (await again.Account.GetAsync()).LastTickAt >= after, TimeSpan.FromSeconds(30), "the reminder registered before the kill ticks the account");
    }

    private static SignalInput Visit(string id) => new(id, "WEBSITE_VISIT", null, 0.9, null);

    /// <summary>Rows of the account's grain state in grains.db.</summary>
    private long StoredAccountRows(string accountId)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory.Path, "grains.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM OrleansStorage WHERE GrainTypeString LIKE '%account%' AND GrainIdExtensionString LIKE '%' || $id";
        command.Parameters.AddWithValue("$id", accountId);
        return (long)command.ExecuteScalar()!;
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

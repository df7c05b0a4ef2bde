using Autonomy.Accounts;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tests.Support;
using Autonomy.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// A run that was pending when its activation was lost (its silo died, its process restarted) still runs, with no
/// call to the account: Orleans reactivates nothing by itself, and the heat-following tick may be hours away.
/// </summary>
public sealed class PendingRunGuardTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ARunPendingWhenItsActivationIsLostRunsWithoutAnotherCallToTheAccount()
    {
        var (started, t) = await StartAsync();
        await using var cluster = started;

        await t.Account.IngestSignalsAsync([new SignalInput("s-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);

        // The activation goes before its window closes, its timer with it; then the window's time passes.
        await cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        cluster.Clock.Advance(TimeSpan.FromSeconds(30));

        await Eventually.UntilAsync(
            async () => (await t.LedgerAsync(type: LedgerTypes.ActionExecuted)).Length == 1,
            TimeSpan.FromSeconds(60),
            "the pending run, with nothing calling the account");
    }

    [Fact]
    public async Task ANewAccountsFirstSignalRegistersOnlyItsTickWhichRunsThePendingRunAndTicksOnAfterDeactivation()
    {
        var (started, t) = await StartAsync();
        await using var cluster = started;
        // An account nothing was sent for yet (the scenario's own was created by its set-up).
        var fresh = new Scenario(cluster, t.TenantId, "acc-new");
        var reminders = cluster.Cluster.GetSiloServiceProvider().GetRequiredService<IReminderTable>();
        var grainId = ((IAddressable)fresh.Account).GetGrainId();
        async Task<string[]> RemindersAsync() => [.. (await reminders.ReadRows(grainId)).Reminders.Select(r => r.ReminderName).Order()];

        await fresh.Account.IngestSignalsAsync([new SignalInput("s-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);

        // One reminder for the new account: its tick, first due when the pending run's guard would be.
        Assert.Equal(["tick"], await RemindersAsync());
        Assert.Null((await fresh.Account.GetAsync()).LastTickAt);

        await cluster.Cluster.DeactivateAsync((IAddressable)fresh.Account);
        cluster.Clock.Advance(TimeSpan.FromSeconds(30));

        await Eventually.UntilAsync(
            async () => (await fresh.LedgerAsync(type: LedgerTypes.TriggerFired)).Length == 1,
            TimeSpan.FromSeconds(60),
            "the pending run, woken by the tick reminder alone");
        var view = await fresh.Account.GetAsync();
        Assert.NotNull(view.LastTickAt);
        Assert.Contains("tick", await RemindersAsync());
    }

    /// <summary>
    /// A cluster with the shipped tick periods (the shared test clusters tick every second, which would hide the gap)
    /// and a guard of a second instead of a minute; the scenario's tenant runs CREATE_TASK on its own, and an instant
    /// signal's window closes ten seconds after it.
    /// </summary>
    private async Task<(AutonomyCluster Cluster, Scenario Scenario)> StartAsync()
    {
        var cluster = await AutonomyCluster.StartAsync(_directory.Path, settings: new Dictionary<string, string?>
        {
            ["Autonomy:Engine:HotTick"] = "00:15:00",
            ["Autonomy:Engine:WarmTick"] = "01:00:00",
            ["Autonomy:Engine:ColdTick"] = "04:00:00",
            ["Autonomy:Engine:PendingRunGuard"] = "00:00:01",
        });
        try
        {
            var t = new Scenario(cluster);
            await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
            await t.Tenant.SetTriggerAsync(TriggerRegistry.Signal(Scenario.Instant, debounceSeconds: 10, maxWaitSeconds: 10, cooldownSeconds: 0), Scenario.Admin);
            return (cluster, t);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }
}

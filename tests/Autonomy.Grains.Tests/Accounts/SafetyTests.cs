using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Platform;
using Autonomy.Policy;
using Autonomy.Sellers;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Accounts;

/// <summary>Principles 5 and 6, config changes without restart, and Mode 4 gating.</summary>
public abstract class SafetyTestsBase(AutonomyCluster cluster)
{
    private readonly AutonomyCluster _cluster = cluster;

    [Fact]
    public async Task KillSwitchStopsWorkAlreadyInFlightBehindIt()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        var gate = _cluster.Hooks.EngineGates[t.TenantId] = new EngineGate();

        await t.Account.IngestSignalsAsync([new SignalInput("s-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
        var run = t.Account.PollAsync();
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await t.Tenant.SetKillSwitchAsync("all", engaged: true, "incident", Scenario.Admin);
        gate.Release.SetResult();
        await run;

        Assert.Empty(await t.TimelineAsync());
        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        var blocked = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");
        Assert.Equal(PolicyReason.KillSwitch, blocked.Reason);
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked), e => e.Payload.Contains("\"stopped\":true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KillSwitchBlocksNewRunsAndApprovals()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.Tenant.SetModeAsync("SEND_EMAIL", AutonomyModeV1.ApprovalRequired, Scenario.Admin);
        await t.SignalAsync();
        var waiting = (await t.NeedsInputAsync()).Single(p => p.ActionType == "SEND_EMAIL");
        var executedBefore = (await t.Workspace.GetAsync()).Items.Length;

        await t.Tenant.SetKillSwitchAsync("all", engaged: true, "incident", Scenario.Admin);
        await t.SignalAsync();
        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(waiting.ProposalId, waiting.ArgsDigest, t.SellerActor));

        Assert.Equal("KILL_SWITCH_ENGAGED", error.Code);
        Assert.Equal(executedBefore, (await t.Workspace.GetAsync()).Items.Length);
        Assert.Contains(await t.NeedsInputAsync(), p => p.Reason == PolicyReason.KillSwitch && p.Decision == PolicyDecision.Block);
    }

    [Fact]
    public async Task ActionTypeKillSwitchStopsOnlyThatType()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.Tenant.SetKillSwitchAsync("CREATE_TASK", engaged: true, "bad tasks", Scenario.Admin);

        await t.SignalAsync();

        Assert.Empty(await t.TimelineAsync());
        Assert.Equal(PolicyReason.KillSwitch, (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK").Reason);
        Assert.Equal(PolicyReason.ModeApprovalRequired, (await t.NeedsInputAsync()).Single(p => p.ActionType == "SEND_EMAIL").Reason);
    }

    [Fact]
    public async Task PlatformKillSwitchStopsEveryTenant()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        var platform = _cluster.Grains.GetGrain<IPlatformGrain>(IPlatformGrain.Key);
        await platform.SetAsync(true, "platform incident", new Actor("operator-1", [Actor.Operator]));
        try
        {
            await t.SignalAsync();
            Assert.Empty(await t.TimelineAsync());
            Assert.Equal(PolicyReason.KillSwitch, (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK").Reason);
        }
        finally
        {
            await platform.SetAsync(false, "resolved", new Actor("operator-1", [Actor.Operator]));
        }
    }

    [Fact]
    public async Task NothingAutoExecutesWhenTheLedgerCannotBeWritten()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        var gate = _cluster.Hooks.EngineGates[t.TenantId] = new EngineGate();
        await t.Account.IngestSignalsAsync([new SignalInput("s-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
        var run = t.Account.PollAsync();
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        _cluster.Hooks.LedgerDown[t.TenantId] = true;
        try
        {
            gate.Release.SetResult();

            // The run in flight is either this call's or the wake timer's (this call then queues behind it);
            // either way it has ended when this call returns, and it could not write its steps.
            await Record.ExceptionAsync(() => run);
        }
        finally
        {
            _cluster.Hooks.LedgerDown.TryRemove(t.TenantId, out _);
        }

        Assert.Empty((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.TimelineAsync());
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));

        // Nothing was lost either: once the ledger is back, the held run goes through, once.
        _cluster.Hooks.EngineGates.TryRemove(t.TenantId, out _);
        await t.Account.PollAsync();
        Assert.Single(await t.TimelineAsync());
        Assert.Single((await t.Workspace.GetAsync()).Items);
    }

    [Fact]
    public async Task AnExecutionWhoseResultWasNotLedgeredIsCompletedOnceWhenTheAccountComesBack()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        var gate = _cluster.Hooks.EngineGates[t.TenantId] = new EngineGate();
        await t.Account.IngestSignalsAsync([new SignalInput("s-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
        var run = t.Account.PollAsync();
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        _cluster.Hooks.LedgerRefuses[t.TenantId] = LedgerTypes.ActionExecuted;
        gate.Release.SetResult();
        await Record.ExceptionAsync(() => run);
        await t.Account.PollAsync();
        Assert.Single((await t.Workspace.GetAsync()).Items);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));

        _cluster.Hooks.LedgerRefuses.TryRemove(t.TenantId, out _);
        _cluster.Hooks.EngineGates.TryRemove(t.TenantId, out _);
        await _cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();

        var executed = Assert.Single(await t.LedgerAsync(type: LedgerTypes.ActionExecuted));
        Assert.Contains("\"recovered\":true", executed.Payload, StringComparison.Ordinal);
        Assert.Single((await t.Workspace.GetAsync()).Items);
        Assert.Single(await t.TimelineAsync(), a => a.Autonomous && a.Status == ActionStatus.Succeeded);
        Assert.True((await _cluster.Ledger.VerifyAsync(t.TenantId)).Ok);
    }

    [Fact]
    public async Task ConfigChangeAppliesToTheNextEvaluationAndHistoryKeepsTheOldVersion()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        Assert.Empty(await t.TimelineAsync());

        var mode = await t.Tenant.SetModeAsync("CREATE_TASK", AutonomyModeV1.AutoExecute, Scenario.Admin);
        await t.SignalAsync();

        Assert.Single(await t.TimelineAsync(), a => a.Autonomous);
        var history = await t.Tenant.GetHistoryAsync();
        Assert.Contains(history, c => c.Kind == "mode:CREATE_TASK" && c.Version == mode.Version && c.Before.Contains("APPROVAL_REQUIRED", StringComparison.Ordinal));
        var versions = (await t.LedgerAsync(type: LedgerTypes.PolicyEvaluated))
            .Select(e => System.Text.Json.JsonDocument.Parse(e.Payload).RootElement.GetProperty("configVersion").GetInt64()).Distinct().ToList();
        Assert.Equal(2, versions.Count);
        Assert.Contains(mode.Version, versions);
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.ConfigChanged), e => e.Actor == Scenario.Admin.Id && e.Payload.Contains("\"before\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AutonomousSchedulesNeedTheOwnersDigestSwitchedOn()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();

        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.SetAutonomousSchedulesAsync(true, Scenario.Admin));
        Assert.Equal("OWNER_DIGEST_DISABLED", error.Code);
        Assert.False((await t.Account.GetAsync()).AutonomousSchedules);

        await t.Seller.SetDigestSettingsAsync(DigestSettings.Default with { Enabled = true }, t.SellerActor);
        var account = await t.Account.SetAutonomousSchedulesAsync(true, Scenario.Admin);

        Assert.True(account.AutonomousSchedules);
        Assert.Contains(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
    }

    [Fact]
    public async Task AnAccountWithoutOwnerCannotOptInToAutonomousSchedules()
    {
        var t = new Scenario(_cluster);
        var orphan = _cluster.Grains.GetGrain<IAccountGrain>(Ids.AccountKey(t.TenantId, "orphan"));

        var error = await Assert.ThrowsAsync<ConflictException>(() => orphan.SetAutonomousSchedulesAsync(true, Scenario.Admin));

        Assert.Equal("OWNER_REQUIRED", error.Code);
    }
}

[Collection(ClusterCollection.Name)]
public sealed class SafetyTests(ClusterFixture fixture) : SafetyTestsBase(fixture.Cluster);

[Collection(PostgresClusterCollection.Name)]
public sealed class SafetyTestsOnPostgres(PostgresClusterFixture fixture) : SafetyTestsBase(fixture.Cluster);

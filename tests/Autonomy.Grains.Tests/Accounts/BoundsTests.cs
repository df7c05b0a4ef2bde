using System.Collections.Immutable;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Budgets;
using Autonomy.Common;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Autonomy.Tests.Support;
using Autonomy.Triggers;

namespace Autonomy.Tests.Accounts;

/// <summary>The per-grain collections that grow with traffic stop at their documented bounds.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BoundsTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;

    [Fact]
    public async Task ASellersQueueKeepsTheNewestProposalsUpToItsBound()
    {
        var seller = _cluster.Grains.GetGrain<ISellerGrain>($"t-{Guid.NewGuid():N}/busy");
        var start = _cluster.Clock.GetUtcNow();
        var proposals = Enumerable.Range(0, SellerState.MaxNeedsInput + 5).Select(i => new ProposalView(
            $"p.{i:D5}", "run", "acc", "busy", "CREATE_TASK", "{}", "sha256:x", 0.9, PolicyDecision.RequireApproval, PolicyReason.ModeApprovalRequired,
            "", AutoApprovalPolicyV1.Version, start.AddSeconds(i), start.AddDays(3), false)).ToList();

        foreach (var chunk in proposals.Chunk(500))
        {
            await seller.AddNeedsInputAsync([.. chunk]);
        }

        var first = await seller.GetNeedsInputAsync(1, null);
        var all = new List<ProposalView>();
        for (string? cursor = null; ;)
        {
            var page = await seller.GetNeedsInputAsync(500, cursor);
            all.AddRange(page.Items);
            if ((cursor = page.NextCursor) is null)
            {
                break;
            }
        }

        Assert.Equal(SellerState.MaxNeedsInput, all.Count);
        Assert.Equal(proposals[^1].ProposalId, first.Items[0].ProposalId);
        Assert.DoesNotContain(all, p => p.ProposalId == proposals[0].ProposalId);
    }

    [Fact]
    public async Task AWorkspaceKeepsItsNewestItemsUpToItsBound()
    {
        var workspace = _cluster.Grains.GetGrain<IWorkspaceGrain>($"t-{Guid.NewGuid():N}/acc");
        for (var i = 0; i < WorkspaceState.MaxItems + 3; i++)
        {
            await workspace.ApplyAsync($"a.{i:D5}", "LOG_NOTE", "{}");
            _cluster.Clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        var items = (await workspace.GetAsync()).Items;
        Assert.Equal(WorkspaceState.MaxItems, items.Length);
        Assert.DoesNotContain(items, i => i.Key == "a.00000");
        Assert.Contains(items, i => i.Key == $"a.{WorkspaceState.MaxItems + 2:D5}");
    }

    [Fact]
    public async Task AFullAccountQueueExpiresItsOldestProposalToMakeRoom()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        for (var i = 0; i < (AccountState.MaxPending / 2) + 1; i++)
        {
            // Eleven minutes apart, so the hourly cap (six runs) never holds one back.
            _cluster.Clock.Advance(TimeSpan.FromMinutes(11));
            await t.SignalAsync();
        }

        var account = await t.Account.GetAsync();
        Assert.Equal(AccountState.MaxPending, account.PendingProposals.Length);
        Assert.Equal(AccountState.MaxPending, (await t.Seller.GetNeedsInputAsync(500, null)).Items.Length);
        var expired = await t.LedgerAsync(type: LedgerTypes.ProposalResolved);
        Assert.Equal(2, expired.Length);
        Assert.All(expired, e => Assert.Contains("queue-full", e.Payload, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheTenantSendsItsConfigurationOnlyWhenTheCallersVersionIsStaleButSwitchesAlways()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        var first = await t.Tenant.ReadAsync(t.AccountId, -1);
        Assert.NotNull(first.Configuration);

        await t.Tenant.SetKillSwitchAsync("CREATE_TASK", engaged: true, "drill", Scenario.Admin);
        var switched = await t.Tenant.ReadAsync(t.AccountId, first.ConfigVersion + 1);
        Assert.Null(switched.Configuration);
        Assert.Contains("CREATE_TASK", switched.KillSwitches.ActionTypes);

        var stale = await t.Tenant.ReadAsync(t.AccountId, first.ConfigVersion);
        Assert.NotNull(stale.Configuration);
        Assert.Equal(stale.ConfigVersion, stale.Configuration!.ConfigVersion);
    }

    [Fact]
    public async Task TheTenantKeepsNoHistoryOfItsOwnTheLedgerAnswers()
    {
        var t = new Scenario(_cluster);
        await t.Tenant.SetModeAsync("CREATE_TASK", AutonomyModeV1.AutoExecute, Scenario.Admin);
        await t.Tenant.SetKillSwitchAsync("all", engaged: true, "drill", Scenario.Admin);

        var history = await t.Tenant.GetHistoryAsync();

        Assert.Equal(["mode:CREATE_TASK", "kill-switch:all"], history.Select(c => c.Kind));
        Assert.Equal([1L, 2L], history.Select(c => c.Version));
        Assert.All(history, c => Assert.Equal(Scenario.Admin.Id, c.Actor));
        Assert.Contains("APPROVAL_REQUIRED", history[0].Before, StringComparison.Ordinal);
        Assert.Contains("drill", history[1].After, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWorkspaceKeepsItsFieldsWithinTheirBoundAndEveryFieldAKeptItemSet()
    {
        var workspace = _cluster.Grains.GetGrain<IWorkspaceGrain>($"t-{Guid.NewGuid():N}/acc");
        var count = WorkspaceState.MaxItems + 40;
        for (var i = 0; i < count; i++)
        {
            await workspace.ApplyAsync($"a.{i:D5}", "UPDATE_CRM_FIELD", $$"""{"field":"f{{i:D5}}","value":{{i}}}""");
            _cluster.Clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        var view = await workspace.GetAsync();
        Assert.True(view.Fields.Count <= WorkspaceState.MaxFields, $"{view.Fields.Count} fields kept");
        Assert.All(view.Items, item => Assert.True(view.Fields.ContainsKey(item.Field!), $"{item.Field} was dropped while a kept item set it"));
        Assert.Equal($"{count - 1}", view.Fields[$"f{count - 1:D5}"]);

        // A kept item still reverts its field.
        var newest = $"a.{count - 1:D5}";
        await workspace.RevertAsync(newest);
        Assert.False((await workspace.GetAsync()).Fields.ContainsKey($"f{count - 1:D5}"));
    }

    [Fact]
    public async Task ATenantsActionTypesStopAtTheirBoundAndAKnownOneCanStillBeTightened()
    {
        var t = new Scenario(_cluster);
        for (var i = 0; i < TenantGrain.MaxTenantActionTypes; i++)
        {
            await t.Tenant.PutActionTypeAsync(new ActionTypeSpec($"TYPE_{i}", RiskLevel.Low, false, true, true), Scenario.Admin);
        }

        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Tenant.PutActionTypeAsync(new ActionTypeSpec("ONE_TOO_MANY", RiskLevel.Low, false, true, true), Scenario.Admin));
        Assert.Equal("TOO_MANY_ACTION_TYPES", error.Code);
        Assert.DoesNotContain(await t.Tenant.GetCatalogAsync(), s => s.ActionType == "ONE_TOO_MANY");

        var tightened = await t.Tenant.PutActionTypeAsync(new ActionTypeSpec("TYPE_0", RiskLevel.High, false, false, false), Scenario.Admin);
        Assert.Equal(RiskLevel.High, tightened.RiskLevel);
    }

    [Fact]
    public async Task APlaybookCannotRegisterMoreTriggerTypesThanOneByOneAndKeepsOneEntryPerType()
    {
        var t = new Scenario(_cluster);
        var many = Enumerable.Range(0, TenantGrain.MaxTenantTriggerTypes + 1).Select(i => TriggerRegistry.Signal($"TYPE_{i}", 0, 0, 0)).ToImmutableArray();

        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Tenant.SetPlaybookAsync(Playbook.Empty, many, Scenario.Admin));
        Assert.Equal("TOO_MANY_TRIGGER_TYPES", error.Code);
        Assert.DoesNotContain(await t.Tenant.GetTriggersAsync(), x => x.Type.StartsWith("TYPE_", StringComparison.Ordinal));

        // A type listed twice is one type, with its last settings.
        await t.Tenant.SetPlaybookAsync(Playbook.Empty, [TriggerRegistry.Signal("TWICE", 0, 10, 0), TriggerRegistry.Signal("TWICE", 5, 20, 0)], Scenario.Admin);
        var twice = Assert.Single(await t.Tenant.GetTriggersAsync(), x => x.Type == "TWICE");
        Assert.Equal(TimeSpan.FromSeconds(20), twice.MaxWait);

        // At the bound by the playbook, one more by PUT .../triggers/{type} is refused as well.
        await t.Tenant.SetPlaybookAsync(Playbook.Empty, many[..TenantGrain.MaxTenantTriggerTypes], Scenario.Admin);
        await Assert.ThrowsAsync<ConflictException>(() => t.Tenant.SetTriggerAsync(TriggerRegistry.Signal("ONE_MORE", 0, 0, 0), Scenario.Admin));
    }

    [Fact]
    public async Task ABudgetLimitingMoreActionTypesThanItsBoundIsRefused()
    {
        var t = new Scenario(_cluster);
        var limits = Enumerable.Range(0, TenantGrain.MaxBudgetActionTypes + 1).ToImmutableDictionary(i => $"TYPE_{i}", _ => 1);

        await Assert.ThrowsAsync<ValidationFailedException>(() => t.Tenant.SetBudgetAsync(new AutonomyBudgetConfig(3, limits, null), Scenario.Admin));
        Assert.Empty((await t.Tenant.GetAutonomyAsync()).Budget.MaxPerActionTypePerDay);
    }

    [Fact]
    public async Task AnOptInTheOwnersSellerRefusesAtItsBoundNeverHoldsAtTheTenant()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.Seller.SetDigestSettingsAsync(DigestSettings.Default with { Enabled = true }, t.SellerActor);
        _cluster.Hooks.SellerOptInsFull[t.TenantId] = true;
        try
        {
            var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.SetAutonomousSchedulesAsync(true, Scenario.Admin));
            Assert.Equal("TOO_MANY_OPT_INS", error.Code);
        }
        finally
        {
            _cluster.Hooks.SellerOptInsFull.TryRemove(t.TenantId, out _);
        }

        Assert.False((await t.Tenant.ReadAsync(t.AccountId, -1)).AccountOptedIn);
        Assert.DoesNotContain(t.AccountId, (await t.Tenant.GetAutonomyAsync()).OptedInAccounts);
    }

    [Fact]
    public async Task ExecutionsOfUnknownOutcomeStopAtTheirBoundForHumansTooAndRecoveryCallsTheExecutorOncePerPass()
    {
        var t = new Scenario(_cluster);
        // Recovery passes only where the test makes them (activations): a reminder tick would be one more.
        _cluster.Hooks.RemindersHeld[t.TenantId] = true;
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.Tenant.SetBudgetAsync(AutonomyBudgetConfig.Default with { MaxPerAccountPerDay = 50 }, Scenario.Admin);
        _cluster.Hooks.ExecutorSilent[t.TenantId] = true;
        try
        {
            // Every run's autonomous task reaches an executor that never answers, until the bound holds further ones back.
            for (var run = 0; run <= AccountState.MaxInFlight; run++)
            {
                await t.SignalAsync();
                _cluster.Clock.Advance(TimeSpan.FromMinutes(11));
            }

            var cleared = (await t.LedgerAsync(type: LedgerTypes.KillSwitchChecked))
                .Select(e => System.Text.Json.JsonSerializer.Deserialize<KillSwitchCheckedPayload>(e.Payload, LedgerJson.Options)!)
                .Where(c => !c.Stopped).Select(c => c.ActionId).Distinct().Count();
            Assert.Equal(AccountState.MaxInFlight, cleared);

            // A human's approval would be the 17th execution in flight: refused before anything is ledgered for it.
            var email = (await t.NeedsInputAsync()).First(p => p.ActionType == "SEND_EMAIL");
            var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(email.ProposalId, email.ArgsDigest, t.SellerActor));
            Assert.Equal("EXECUTIONS_PENDING", error.Code);
            Assert.DoesNotContain(await t.LedgerAsync(type: LedgerTypes.ProposalResolved), e => e.Payload.Contains(email.ProposalId, StringComparison.Ordinal));
        }
        finally
        {
            _cluster.Hooks.ExecutorSilent.TryRemove(t.TenantId, out _);
        }

        // The executor answers again: each recovery pass calls it for one execution only, the rest wait for later passes.
        await _cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();
        Assert.Single((await t.Workspace.GetAsync()).Items);
        await _cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();
        Assert.Equal(2, (await t.Workspace.GetAsync()).Items.Length);
        _cluster.Hooks.RemindersHeld.TryRemove(t.TenantId, out _);
    }

    [Fact]
    public async Task AnApprovalWhoseExecutionIsInFlightNeverExpiresAndIsResolvedByItsResult()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var task = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");
        _cluster.Hooks.ExecutorSilent[t.TenantId] = true;
        try
        {
            Assert.Equal("EXECUTION_PENDING", (await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor))).Code);

            // Past its expiry the approved proposal is still the human's answered one, not EXPIRED.
            _cluster.Clock.Advance(TimeSpan.FromHours(73));
            Assert.Equal("EXECUTION_PENDING", (await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor))).Code);
        }
        finally
        {
            _cluster.Hooks.ExecutorSilent.TryRemove(t.TenantId, out _);
        }

        var action = await t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor);
        Assert.Equal(ActionStatus.Succeeded, action.Status);
        Assert.Single((await t.Workspace.GetAsync()).Items);
        var resolutions = await t.LedgerAsync(type: LedgerTypes.ProposalResolved);
        Assert.DoesNotContain(resolutions, e => e.Payload.Contains(task.ProposalId, StringComparison.Ordinal) && e.Payload.Contains("EXPIRED", StringComparison.Ordinal));
        Assert.DoesNotContain(await t.LedgerAsync(type: LedgerTypes.OutcomeRecorded), e => e.Payload.Contains(task.ProposalId, StringComparison.Ordinal) && e.Payload.Contains("\"EXPIRED\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnApprovalWhoseLostCallArrivesLateIsSettledNotExpired()
    {
        var (t, task, actionId) = await ApprovalWithALostCallAsync();
        Assert.Contains(await t.NeedsInputAsync(), p => p.ProposalId == task.ProposalId);

        // The lost call arrives after all and runs; nobody approves again before the proposal is due to expire.
        var late = await LateCallAsync(t, task, actionId);
        Assert.True(late.Succeeded, late.Detail);
        _cluster.Clock.Advance(TimeSpan.FromHours(73));

        // Due to expire, it is settled by the action that ran instead: answered, ledgered, never EXPIRED.
        var error = await Assert.ThrowsAsync<ConflictException>(() => t.Account.RejectAsync(task.ProposalId, "too late", t.SellerActor));
        Assert.Equal("PROPOSAL_RESOLVED", error.Code);
        Assert.Contains(await t.LedgerAsync(type: LedgerTypes.ActionExecuted), e => e.Payload.Contains(actionId, StringComparison.Ordinal));
        Assert.DoesNotContain(await t.LedgerAsync(type: LedgerTypes.OutcomeRecorded), e => e.Payload.Contains(task.ProposalId, StringComparison.Ordinal) && e.Payload.Contains("\"EXPIRED\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnApprovalWhoseCallNeverArrivesExpiresAndALateCallCanNoLongerRunIt()
    {
        var (t, task, actionId) = await ApprovalWithALostCallAsync();
        _cluster.Clock.Advance(TimeSpan.FromHours(73));
        Assert.Equal("PROPOSAL_EXPIRED", (await Assert.ThrowsAsync<ConflictException>(() => t.Account.RejectAsync(task.ProposalId, null, t.SellerActor))).Code);

        // The call that was lost arrives only now: the execution grain was closed with the expiry, nothing runs.
        var late = await LateCallAsync(t, task, actionId);
        Assert.False(late.Succeeded);
        Assert.Empty((await t.Workspace.GetAsync()).Items);
    }

    /// <summary>A CREATE_TASK approved while its call to the execution grain is lost on the way; recovery (a reactivation) finds it never called.</summary>
    private async Task<(Scenario Scenario, ProposalView Task, string ActionId)> ApprovalWithALostCallAsync()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.SignalAsync();
        var task = (await t.NeedsInputAsync()).Single(p => p.ActionType == "CREATE_TASK");
        _cluster.Hooks.ExecutionCallLost[t.TenantId] = true;
        try
        {
            Assert.Equal("EXECUTION_PENDING", (await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(task.ProposalId, task.ArgsDigest, t.SellerActor))).Code);
        }
        finally
        {
            _cluster.Hooks.ExecutionCallLost.TryRemove(t.TenantId, out _);
        }

        await _cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        await t.Account.GetAsync();
        return (t, task, Ids.Action(t.AccountId, task.ProposalId[(task.ProposalId.LastIndexOf('.') + 1)..]));
    }

    /// <summary>The approval's lost call, arriving at its execution grain only now.</summary>
    private Task<ExecutionResult> LateCallAsync(Scenario t, ProposalView task, string actionId) =>
        _cluster.Grains.GetGrain<IExecutionGrain>($"{t.TenantId}/{actionId}").ExecuteAsync(
            new ExecutionRequest(actionId, t.TenantId, t.AccountId, "CREATE_TASK", task.Parameters, task.RunId, false, null));
}

using System.Collections.Immutable;
using Autonomy.Actions;
using Autonomy.Budgets;
using Autonomy.Decisions;
using Autonomy.Policy;
using Autonomy.Tenants;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Policy;

/// <summary>
/// The last check before a side effect: nothing is cleared that a switch covers, that the tenant disabled or no longer
/// lets run alone, and a tenant that could not be read clears nothing.
/// </summary>
public class ExecutionClearanceTests
{
    /// <summary>A tenant reading: modes, catalog, switches, parameters and opt-in, each generated.</summary>
    private static readonly Gen<TenantSnapshot> Tenant = Gen.Select(
        Gen.Select(Gen.OneOf(PolicyGen.Types), Gen.Enum<AutonomyModeV1>()).Array[0, 5],
        Gen.Select(Gen.OneOf(PolicyGen.Types), PolicyGen.Spec).Array[0, 5],
        PolicyGen.KillSwitches,
        PolicyGen.Parameters,
        Gen.Bool,
        Gen.Long[0, 1000],
        (modes, specs, switches, parameters, optedIn, version) => new TenantSnapshot(
            version,
            modes.GroupBy(m => m.Item1).ToImmutableDictionary(g => g.Key, g => g.Last().Item2),
            specs.GroupBy(s => s.Item1).ToImmutableDictionary(g => g.Key, g => g.Last().Item2 with { ActionType = g.Key }),
            parameters, AutonomyBudgetConfig.Default, switches, optedIn, Playbook.Empty, TriggerRegistry.Default, ExecutorSettings.Default));

    [Fact]
    public void AnAutonomousActionIsClearedExactlyWhenThePolicyWouldRunItAloneNow() =>
        PolicyGen.Input.Sample(now =>
        {
            var clearance = ExecutionClearance.Autonomous(now);

            Assert.Equal(AutoApprovalPolicyV1.Evaluate(now), clearance.Policy);
            Assert.Equal(clearance.Policy.Decision == PolicyDecision.AutoExecute, clearance.Cleared);
            if (clearance.Cleared)
            {
                Assert.False(now.KillSwitches.Stops(now.ActionType));
                Assert.Equal(AutonomyModeV1.AutoExecute, now.Mode);
                Assert.NotNull(now.Spec);
            }
        });

    [Fact]
    public void AnApprovalIsClearedExactlyWhenItsRecheckProceedsNow() =>
        Gen.Select(PolicyGen.Input, Gen.Enum<PolicyDecision>()).Sample((now, shown) =>
        {
            var clearance = ExecutionClearance.Approved(shown, now);
            var check = HumanApproval.Recheck(shown, now);

            Assert.Equal((check.Verdict == ApprovalVerdict.Proceed, check.Policy), (clearance.Cleared, clearance.Policy));
            if (clearance.Cleared)
            {
                Assert.False(now.KillSwitches.Stops(now.ActionType));
                Assert.DoesNotContain(now.Mode, new[] { AutonomyModeV1.Disabled, AutonomyModeV1.ProposeOnly });
                Assert.NotNull(now.Spec);
            }
        });

    [Fact]
    public void UnreadSwitchesClearNothingOnAnyPath() =>
        Gen.Select(PolicyGen.Input, Gen.Enum<PolicyDecision>(), Gen.Bool).Sample((decided, shown, autonomous) =>
        {
            var now = decided with { KillSwitches = KillSwitchState.Unknown };

            Assert.False(ExecutionClearance.Autonomous(now).Cleared);
            Assert.False(ExecutionClearance.Approved(shown, now).Cleared);
            Assert.False(ExecutionClearance.Retry(autonomous, now).Cleared);
            Assert.False(ExecutionClearance.Retry(autonomous, ExecutionClearance.RetryInput(decided.ActionType, decided.Lifecycle)).Cleared);
        });

    [Fact]
    public void ARetryIsClearedOnlyWhereTheTenantStillAllowsItsKindOfExecution() =>
        Gen.Select(Tenant, Gen.OneOf(PolicyGen.Types), PolicyGen.Lifecycle, Gen.Bool).Sample((tenant, type, lifecycle, autonomous) =>
        {
            var now = tenant.Refresh(ExecutionClearance.RetryInput(type, lifecycle));
            var clearance = ExecutionClearance.Retry(autonomous, now);

            Assert.Equal(autonomous ? ExecutionClearance.Autonomous(now) : ExecutionClearance.Approved(PolicyDecision.RequireApproval, now), clearance);
            if (clearance.Cleared)
            {
                Assert.False(tenant.KillSwitches.Stops(type));
                Assert.True(tenant.Catalog.ContainsKey(type));
                Assert.True(autonomous ? tenant.ModeOf(type) == AutonomyModeV1.AutoExecute : tenant.ModeOf(type) is not (AutonomyModeV1.Disabled or AutonomyModeV1.ProposeOnly));
            }
        });

    [Fact]
    public void RefreshTakesEverythingTheTenantControlsFromNowAndKeepsWhatTheAccountAndEngineSupplied() =>
        Gen.Select(Tenant, PolicyGen.Input).Sample((tenant, decided) =>
        {
            var now = tenant.Refresh(decided);

            Assert.Equal(
                (tenant.KillSwitches, tenant.ModeOf(decided.ActionType), tenant.Catalog.GetValueOrDefault(decided.ActionType), tenant.Policy),
                (now.KillSwitches, now.Mode, now.Spec, now.Parameters));
            Assert.Equal(
                (decided.ActionType, decided.Confidence, decided.Lifecycle, decided.StartedBySchedule),
                (now.ActionType, now.Confidence, now.Lifecycle, now.StartedBySchedule));
            Assert.Equal(decided.AccountOptedInToSchedules && tenant.AccountOptedIn, now.AccountOptedInToSchedules);
        });

    [Fact]
    public void AnActionTheTenantSetToNeedApprovalAfterTheDecisionIsNotClearedToRunAlone()
    {
        var decided = new PolicyInput("CREATE_TASK", ActionCatalog.BuiltIns["CREATE_TASK"], AutonomyModeV1.AutoExecute, KillSwitchState.None, 0.9, "CUSTOMER", false, false, PolicyParameters.Default);
        var tenant = new TenantSnapshot(
            2, ImmutableDictionary<string, AutonomyModeV1>.Empty.Add("CREATE_TASK", AutonomyModeV1.ApprovalRequired), ActionCatalog.BuiltIns, PolicyParameters.Default,
            AutonomyBudgetConfig.Default, KillSwitchState.None, false, Playbook.Empty, TriggerRegistry.Default, ExecutorSettings.Default);

        Assert.True(ExecutionClearance.Autonomous(decided).Cleared);
        var clearance = ExecutionClearance.Autonomous(tenant.Refresh(decided));

        Assert.False(clearance.Cleared);
        Assert.Equal(PolicyReason.ModeApprovalRequired, clearance.Policy.Reason);
    }

    [Fact]
    public void ARetryOfAnAutonomousTaskIsClearedWhereTheTenantAllowsItWithoutAnyScheduleOptIn()
    {
        // A retry is not a scheduled run: Mode 4's opt-in was checked when the action was first cleared and is not kept.
        var input = ExecutionClearance.RetryInput("CREATE_TASK", "CUSTOMER");
        Assert.Equal((false, false), (input.StartedBySchedule, input.AccountOptedInToSchedules));
        var tenant = new TenantSnapshot(
            2, ImmutableDictionary<string, AutonomyModeV1>.Empty.Add("CREATE_TASK", AutonomyModeV1.AutoExecute), ActionCatalog.BuiltIns, PolicyParameters.Default,
            AutonomyBudgetConfig.Default, KillSwitchState.None, AccountOptedIn: false, Playbook.Empty, TriggerRegistry.Default, ExecutorSettings.Default);

        var clearance = ExecutionClearance.Retry(autonomous: true, tenant.Refresh(input));

        Assert.True(clearance.Cleared, clearance.Policy.Explanation);
        Assert.Equal(PolicyReason.AllowedByPolicy, clearance.Policy.Reason);
    }

    [Fact]
    public void ARetryOfAnAutonomousActionWhoseTypeNowNeedsApprovalWaitsForAHumanWhileAnApprovedOnesGoesOut()
    {
        var tenant = new TenantSnapshot(
            2, ImmutableDictionary<string, AutonomyModeV1>.Empty.Add("CREATE_TASK", AutonomyModeV1.ApprovalRequired), ActionCatalog.BuiltIns, PolicyParameters.Default,
            AutonomyBudgetConfig.Default, KillSwitchState.None, AccountOptedIn: false, Playbook.Empty, TriggerRegistry.Default, ExecutorSettings.Default);
        var now = tenant.Refresh(ExecutionClearance.RetryInput("CREATE_TASK", "CUSTOMER"));

        Assert.False(ExecutionClearance.Retry(autonomous: true, now).Cleared);
        Assert.True(ExecutionClearance.Retry(autonomous: false, now).Cleared);
    }
}

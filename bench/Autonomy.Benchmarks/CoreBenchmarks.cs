using System.Collections.Immutable;
using Autonomy.Actions;
using Autonomy.Budgets;
using Autonomy.CostGate;
using Autonomy.Perception;
using Autonomy.Policy;
using Autonomy.Triggers;
using BenchmarkDotNet.Attributes;

namespace Autonomy.Benchmarks;

/// <summary>
/// Each core rule a signal or a run passes, on its longest common path: the policy through all fourteen rules to
/// AUTO_EXECUTE, on the shipped default (approval required), blocked by a type's kill switch, below the confidence minimum and
/// downgraded by the budget; the budget check with room left, the cost gate
/// allowing a run, a signal joining an open trigger window and opening one, and heat. Inputs are built once;
/// each call is what the grain makes per proposal, run or signal.
/// </summary>
[MemoryDiagnoser]
public class CoreBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private readonly PolicyInput _allowed = new(
        "CREATE_TASK", ActionCatalog.BuiltIns["CREATE_TASK"], AutonomyModeV1.AutoExecute, KillSwitchState.None, 0.9, "CUSTOMER",
        StartedBySchedule: false, AccountOptedInToSchedules: false, PolicyParameters.Default);

    private readonly PolicyInput _approval = new(
        "CREATE_TASK", ActionCatalog.BuiltIns["CREATE_TASK"], AutonomyModeV1.ApprovalRequired, KillSwitchState.None, 0.9, "CUSTOMER",
        StartedBySchedule: false, AccountOptedInToSchedules: false, PolicyParameters.Default);

    private readonly PolicyInput _switchedOff = new(
        "CREATE_TASK", ActionCatalog.BuiltIns["CREATE_TASK"], AutonomyModeV1.AutoExecute, new KillSwitchState(false, false, ["CREATE_TASK"]), 0.9, "CUSTOMER",
        StartedBySchedule: false, AccountOptedInToSchedules: false, PolicyParameters.Default);

    private readonly PolicyInput _unsure = new(
        "CREATE_TASK", ActionCatalog.BuiltIns["CREATE_TASK"], AutonomyModeV1.AutoExecute, KillSwitchState.None, 0.42, "CUSTOMER",
        StartedBySchedule: false, AccountOptedInToSchedules: false, PolicyParameters.Default);

    private readonly AutonomyBudgetConfig _budget = AutonomyBudgetConfig.Default with
    {
        MaxPerActionTypePerDay = ImmutableDictionary<string, int>.Empty.Add("CREATE_TASK", 3),
    };

    private readonly BudgetUsage _usage = BudgetUsage.Start(new DateOnly(2026, 3, 2)) with
    {
        Total = 1,
        PerActionType = ImmutableDictionary<string, int>.Empty.Add("CREATE_TASK", 1),
        LastUsedDay = new DateOnly(2026, 3, 2),
    };

    private readonly GateInput _gate = new(0.9, 0.65, Now.AddHours(-2), TimeSpan.FromMinutes(5), "digest-b", "digest-a", Now);

    private readonly TriggerRegistry _registry = TriggerRegistry.Default;
    private readonly SignalRef _signal = new("s-2", "EMAIL_REPLY_RECEIVED", Now, 0.8);
    private TriggerState _empty = TriggerState.Empty;
    private TriggerState _open = TriggerState.Empty;
    private readonly HeatState _heat = new(1.4, Now.AddHours(-3), HeatTier.Warm, 0);

    [GlobalSetup]
    public void Setup()
    {
        _empty = TriggerState.Empty;
        _open = DecisionTrigger.OnSignal(_registry, TriggerState.Empty, new SignalRef("s-1", "EMAIL_REPLY_RECEIVED", Now.AddSeconds(-10), 0.8), Now.AddSeconds(-10)).State;
    }

    [Benchmark]
    public PolicyResult PolicyAutoExecute() => AutoApprovalPolicyV1.Evaluate(_allowed);

    [Benchmark]
    public PolicyResult PolicyApprovalRequired() => AutoApprovalPolicyV1.Evaluate(_approval);

    [Benchmark]
    public PolicyResult PolicyKillSwitchType() => AutoApprovalPolicyV1.Evaluate(_switchedOff);

    [Benchmark]
    public PolicyResult PolicyLowConfidence() => AutoApprovalPolicyV1.Evaluate(_unsure);

    [Benchmark]
    public PolicyResult PolicyBudgetExhausted() => AutoApprovalPolicyV1.BudgetExhausted("3 of 3 autonomous CREATE_TASK actions today");

    [Benchmark]
    public BudgetCheck BudgetCheck() => AutonomyBudget.Check(_budget, _usage, "CREATE_TASK", Now);

    [Benchmark]
    public GateResult CostGateAllow() => DecisionCostGate.EvaluateLocal(_gate);

    [Benchmark]
    public SignalOutcome TriggerOnSignalJoin() => DecisionTrigger.OnSignal(_registry, _open, _signal, Now);

    [Benchmark]
    public SignalOutcome TriggerOnSignalOpen() => DecisionTrigger.OnSignal(_registry, _empty, _signal, Now);

    [Benchmark]
    public HeatState HeatOnSignal() => Heat.OnSignal(_heat, 0.8, Now);

    [Benchmark]
    public HeatState HeatAt() => Heat.At(_heat, Now);
}

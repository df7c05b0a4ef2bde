using System.Collections.Immutable;
using Autonomy.Actions;
using Autonomy.Policy;
using CsCheck;

namespace Autonomy.Tests.Policy;

/// <summary>Generators for policy inputs: every risk, flag, mode, switch and lifecycle combination, odd confidences included.</summary>
internal static class PolicyGen
{
    public static readonly string[] Types = ["CREATE_TASK", "SEND_EMAIL", "APPLY_DISCOUNT", "ESCALATE_TO_MANAGER", "TENANT_CUSTOM"];

    public static readonly string[] Lifecycles = ["PROSPECT", "ONBOARDING", "CUSTOMER", "RENEWAL", "DO_NOT_CONTACT", "CHURNED"];

    public static readonly Gen<double> Confidence = Gen.OneOf<double>(
        Gen.Double[-1, 2],
        Gen.Double.Unit,
        Gen.OneOf(double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0001, 0, 0.6, 1, 1.5));

    public static readonly Gen<ActionTypeSpec> Spec =
        Gen.Select(Gen.Enum<RiskLevel>(), Gen.Bool, Gen.Bool, Gen.Bool, Gen.Bool, (risk, external, allow, revert, builtIn) =>
            new ActionTypeSpec("X", risk, external, allow, revert, builtIn));

    public static readonly Gen<string?> Lifecycle = Gen.OneOf<string?>(
        Gen.OneOf<string?>([.. Lifecycles, null]),
        Gen.Int[0, 50].Select(i => (string?)$"LC_{i}"));

    public static readonly Gen<KillSwitchState> KillSwitches =
        Gen.Select(Gen.Bool, Gen.Bool, Subset(Types), (platform, tenant, types) => new KillSwitchState(platform, tenant, types));

    public static readonly Gen<PolicyParameters> Parameters = Gen.Select(
        Gen.OneOf<double>(Gen.Double.Unit, Gen.OneOf(double.NaN, -0.5, 0, 1, 1.5)),
        Subset([.. Lifecycles, "LC_1"]),
        Subset(Lifecycles),
        (min, auto, blocked) => new PolicyParameters(min, auto, blocked));

    public static readonly Gen<PolicyInput> Input = Gen.Select(
        Gen.OneOf(Types),
        Gen.Frequency((6, Spec.Select(s => (ActionTypeSpec?)s)), (1, Gen.Const((ActionTypeSpec?)null))),
        Gen.Enum<AutonomyModeV1>(),
        KillSwitches,
        Confidence,
        Lifecycle,
        Gen.Bool,
        Gen.Bool,
        Parameters,
        (type, spec, mode, kill, confidence, lifecycle, scheduled, optedIn, parameters) =>
            new PolicyInput(type, spec is null ? null : spec with { ActionType = type }, mode, kill, confidence, lifecycle, scheduled, optedIn, parameters));

    /// <summary>Inputs that pass every gate before the risk rules, so the risk rules are reached often.</summary>
    public static readonly Gen<PolicyInput> Reachable = Gen.Select(Input, Spec, (input, spec) => input with
    {
        Spec = spec with { ActionType = input.ActionType },
        Mode = AutonomyModeV1.AutoExecute,
        KillSwitches = KillSwitchState.None,
        Confidence = 0.99,
        Lifecycle = "CUSTOMER",
        StartedBySchedule = false,
        Parameters = PolicyParameters.Default,
    });

    public static Gen<ImmutableArray<string>> Subset(string[] items) =>
        Gen.Int[0, (1 << items.Length) - 1].Select(mask => items.Where((_, i) => (mask & (1 << i)) != 0).ToImmutableArray());

    /// <summary>A copy that shares no reference with the original, to show the policy reads values, not identities.</summary>
    public static PolicyInput DeepCopy(PolicyInput i) => new(
        new string(i.ActionType),
        i.Spec is { } s ? new ActionTypeSpec(new string(s.ActionType), s.RiskLevel, s.ExternalContact, s.AllowListed, s.Revertible, s.BuiltIn) : null,
        i.Mode,
        new KillSwitchState(i.KillSwitches.Platform, i.KillSwitches.Tenant, [.. i.KillSwitches.ActionTypes.Select(t => new string(t))]),
        i.Confidence,
        i.Lifecycle is null ? null : new string(i.Lifecycle),
        i.StartedBySchedule,
        i.AccountOptedInToSchedules,
        new PolicyParameters(
            i.Parameters.MinConfidence,
            [.. i.Parameters.AutoExecuteLifecycles.Select(l => new string(l))],
            [.. i.Parameters.BlockedLifecycles.Select(l => new string(l))]));
}

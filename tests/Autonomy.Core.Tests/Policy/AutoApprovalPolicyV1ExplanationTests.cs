using Autonomy.Policy;

namespace Autonomy.Tests.Policy;

/// <summary>
/// What the policy tells a human: the explanation names the thing that decided (the switch's scope, the lifecycle,
/// the schedule opt-in), and the shipped defaults and fail-closed switch state are what the seed says.
/// </summary>
public class AutoApprovalPolicyV1ExplanationTests
{
    public static TheoryData<string, PolicyInput, string> Explanations()
    {
        var a = Golden.Allowed;
        return new()
        {
            { "platform switch names the platform", a with { KillSwitches = new(true, false, []) }, "for the platform;" },
            { "platform and tenant switch name the platform", a with { KillSwitches = new(true, true, ["CREATE_TASK"]) }, "for the platform;" },
            { "tenant switch names the tenant", a with { KillSwitches = new(false, true, []) }, "for this tenant;" },
            { "tenant switch beats a type switch", a with { KillSwitches = new(false, true, ["CREATE_TASK"]) }, "for this tenant;" },
            { "type switch names the type", a with { KillSwitches = new(false, false, ["SEND_EMAIL", "CREATE_TASK"]) }, "for action type CREATE_TASK;" },
            { "lifecycle not autonomous names it", a with { Lifecycle = "CHURNED" }, "in lifecycle CHURNED." },
            { "unknown lifecycle says so", a with { Lifecycle = null }, "in lifecycle (unknown)." },
            { "schedule not opted in says why", a with { StartedBySchedule = true }, "opted in to autonomous schedules" },
            { "low confidence gives both numbers", a with { Confidence = 0.5 }, "Confidence 0.5 is below the tenant's minimum 0.6." },
            { "allowed says why", a, "CREATE_TASK is low risk, allow-listed and in AUTO_EXECUTE mode." },
        };
    }

    [Theory]
    [MemberData(nameof(Explanations))]
    public void ExplanationNamesWhatDecided(string name, PolicyInput input, string expected)
    {
        var explanation = AutoApprovalPolicyV1.Evaluate(input).Explanation;

        Assert.True(explanation.Contains(expected, StringComparison.Ordinal), $"{name}: expected \"{expected}\" in \"{explanation}\"");
    }

    [Fact]
    public void KillSwitchExplanationNamesExactlyOneScope()
    {
        foreach (var switches in new KillSwitchState[] { new(true, false, []), new(false, true, []), new(false, false, ["CREATE_TASK"]), KillSwitchState.Unknown })
        {
            var explanation = AutoApprovalPolicyV1.Evaluate(Golden.Allowed with { KillSwitches = switches }).Explanation;
            var scopes = new[] { "the platform", "this tenant", "action type" }.Count(s => explanation.Contains(s, StringComparison.Ordinal));

            Assert.Equal(1, scopes);
        }
    }

    [Fact]
    public void UnreadableSwitchesAreEngagedAtEveryScope()
    {
        // Fail closed wherever the state is read: a reader that looks at one scope only must also see "stopped".
        Assert.True(KillSwitchState.Unknown.Platform);
        Assert.True(KillSwitchState.Unknown.Tenant);
        Assert.Contains("for the platform;", AutoApprovalPolicyV1.Evaluate(Golden.Allowed with { KillSwitches = KillSwitchState.Unknown }).Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void NoSwitchEngagedStopsNothing()
    {
        Assert.False(KillSwitchState.None.Platform);
        Assert.False(KillSwitchState.None.Tenant);
        Assert.All(PolicyGen.Types, t => Assert.False(KillSwitchState.None.Stops(t)));
    }

    [Theory]
    [InlineData("PROSPECT")]
    [InlineData("ONBOARDING")]
    [InlineData("CUSTOMER")]
    [InlineData("RENEWAL")]
    public void DefaultParametersLetTheActiveLifecyclesRunAlone(string lifecycle)
    {
        var result = AutoApprovalPolicyV1.Evaluate(Golden.Allowed with { Lifecycle = lifecycle });

        Assert.Equal((PolicyDecision.AutoExecute, "R14.allowed"), (result.Decision, result.Rule));
    }

    [Theory]
    [InlineData("DO_NOT_CONTACT", PolicyDecision.Block, "R4.lifecycle-blocked")]
    [InlineData("CHURNED", PolicyDecision.RequireApproval, "R12.lifecycle-not-autonomous")]
    [InlineData("", PolicyDecision.RequireApproval, "R12.lifecycle-not-autonomous")]
    [InlineData("customer", PolicyDecision.RequireApproval, "R12.lifecycle-not-autonomous")]
    public void DefaultParametersHoldEveryOtherLifecycleBack(string lifecycle, PolicyDecision decision, string rule)
    {
        var result = AutoApprovalPolicyV1.Evaluate(Golden.Allowed with { Lifecycle = lifecycle });

        Assert.Equal((decision, rule), (result.Decision, result.Rule));
    }
}

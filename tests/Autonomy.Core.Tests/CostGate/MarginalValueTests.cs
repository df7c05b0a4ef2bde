using Autonomy.Actions;
using Autonomy.CostGate;
using Autonomy.Perception;
using Autonomy.Tenants;

namespace Autonomy.Tests.CostGate;

/// <summary>The small rules the account grain asks the core for: marginal value, the posture floor, the executor.</summary>
public class MarginalValueTests
{
    [Theory]
    [InlineData(true, 0.0, 5.0, 1.3)] // heat adds a tenth of itself, at most 0.3, to a ritual's run
    [InlineData(false, 0.2, 50.0, 0.2)] // and nothing to a run of signals alone
    [InlineData(true, 3.0, 0.0, 1.0)]
    [InlineData(false, 0.8, 0.0, 0.8)]
    [InlineData(false, 0.8, 2.0, 0.8)]
    [InlineData(false, 0.0, 0.0, 0.0)]
    public void ARunOfAnAccountThatNeverRanIsWorthItsRitualAndATenthOfHeatOrItsSignals(bool scheduled, double signals, double heat, double expected) =>
        Assert.Equal(expected, MarginalValue.Of(scheduled, signals, heat), 9);

    [Theory]
    [InlineData("""{"intent":0.4,"risk":0.9,"engagement":0.1}""", 0.9)]
    [InlineData("""{"intent":"high"}""", 0)]
    [InlineData("""[1,2]""", 0)]
    [InlineData("""{"other":1}""", 0)]
    [InlineData("""{"engagement":-2}""", 0)]
    [InlineData(null, 0)]
    public void PostureScoreIsTheHighestScoredField(string? posture, double expected) =>
        Assert.Equal(expected, Posture.Score(posture), 9);

    [Fact]
    public void BuiltInLowRiskTypesStayInternalUnlessTheTenantListsThem()
    {
        var task = ActionCatalog.BuiltIns["CREATE_TASK"];
        var email = ActionCatalog.BuiltIns["SEND_EMAIL"];
        var hook = new ExecutorSettings("https://hooks.example.com/x", []);

        Assert.Null(ExecutorChoice.WebhookUrl(task, hook));
        Assert.Equal(hook.WebhookUrl, ExecutorChoice.WebhookUrl(email, hook));
        Assert.Equal(hook.WebhookUrl, ExecutorChoice.WebhookUrl(task, hook with { WebhookActionTypes = ["CREATE_TASK"] }));
        Assert.Null(ExecutorChoice.WebhookUrl(email, ExecutorSettings.Default));
        Assert.False(ExecutorChoice.IsInternal(task with { BuiltIn = false }));
    }
}

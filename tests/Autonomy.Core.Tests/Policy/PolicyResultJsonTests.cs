using System.Collections.Immutable;
using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Budgets;
using Autonomy.Ledger;
using Autonomy.Policy;
using CsCheck;

namespace Autonomy.Tests.Policy;

/// <summary>
/// The policy's result and the budget's check keep their explanation as wording and values and write it out when read:
/// the ledger must see the same text, in the same JSON, as a result made from that text, and read it back equal.
/// </summary>
public class PolicyResultJsonTests
{
    [Fact]
    public void AResultIsLedgeredAsItsTextAndReadsBackEqual() =>
        Gen.OneOf(PolicyGen.Input, PolicyGen.Reachable).Sample(input =>
        {
            var result = AutoApprovalPolicyV1.Evaluate(input);
            var asText = new PolicyResult(result.Decision, result.Reason, result.Explanation, result.PolicyVersion, result.Rule);
            var json = JsonSerializer.Serialize(result, LedgerJson.Options);

            Assert.Equal(JsonSerializer.Serialize(asText, LedgerJson.Options), json);
            Assert.Equal(result, asText);
            Assert.Equal(result.GetHashCode(), asText.GetHashCode());
            Assert.Equal(result, JsonSerializer.Deserialize<PolicyResult>(json, LedgerJson.Options));
        }, iter: 5_000);

    [Fact]
    public void ALedgeredResultKeepsItsShape()
    {
        var result = AutoApprovalPolicyV1.Evaluate(Golden.Allowed with { Confidence = 0.5 });

        Assert.Equal(
            """{"decision":"REQUIRE_APPROVAL","reason":"LOW_CONFIDENCE","explanation":"Confidence 0.5 is below the tenant\u0027s minimum 0.6.","policyVersion":"AutoApprovalPolicyV1@1","rule":"R11.low-confidence"}""",
            JsonSerializer.Serialize(result, LedgerJson.Options));
        Assert.Equal(
            "The autonomy budget is used up (3 of 3 autonomous CREATE_TASK actions today); a human must approve it.",
            AutoApprovalPolicyV1.BudgetExhausted("3 of 3 autonomous CREATE_TASK actions today").Explanation);
    }

    [Fact]
    public void ABudgetCheckIsLedgeredAsItsDetailAndReadsBackEqual()
    {
        var now = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
        var config = new AutonomyBudgetConfig(3, ImmutableDictionary<string, int>.Empty.Add("CREATE_TASK", 1), null);
        var usage = BudgetUsage.Start(AutonomyBudget.DayOf(now));
        var spent = AutonomyBudget.Consume(usage, "CREATE_TASK", now);
        foreach (var check in new[]
        {
            AutonomyBudget.Check(config, usage, "CREATE_TASK", now),
            AutonomyBudget.Check(config, spent, "CREATE_TASK", now),
            AutonomyBudget.Check(config, usage, "CREATE_TASK", now, 2, 2),
        })
        {
            var json = LedgerJson.Serialize(new BudgetCheckedPayload(0, "CREATE_TASK", check, config));
            var asText = new BudgetCheck(check.Allowed, check.Detail, check.AccountLimit, check.AccountUsed, check.TypeLimit, check.TypeUsed);

            Assert.Equal(LedgerJson.Serialize(new BudgetCheckedPayload(0, "CREATE_TASK", asText, config)), json);
            Assert.Equal(check, JsonSerializer.Deserialize<BudgetCheckedPayload>(json, LedgerJson.Options)!.Check);
        }

        Assert.Equal(
            """{"allowed":false,"detail":"2 executions await their result","accountLimit":3,"accountUsed":0,"typeLimit":1,"typeUsed":0}""",
            JsonSerializer.Serialize(AutonomyBudget.Check(config, usage, "CREATE_TASK", now, 2, 2), LedgerJson.Options));
    }
}

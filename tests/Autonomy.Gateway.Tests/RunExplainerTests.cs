using Autonomy.Gateway.Audit;
using Autonomy.Ledger;

namespace Autonomy.Gateway.Tests;

public sealed class RunExplainerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 31, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NoEntriesIsNoExplanation() => Assert.Null(RunExplainer.Explain("run_x", []));

    [Fact]
    public void StepsAreOrderedAndSortedIntoKnewAndPolicy()
    {
        LedgerEntry[] entries =
        [
            Entry(3, "POLICY_EVALUATED", """{"result":{"decision":"AUTO_EXECUTE"},"reason":"ALLOWED_BY_POLICY","explanation":"low risk"}"""),
            Entry(1, "TRIGGER_FIRED", """{"triggerType":"RENEWAL_WINDOW_OPENED"}"""),
            Entry(2, "DECISION_PROPOSED", """{"proposals":[]}"""),
            Entry(4, "BUDGET_CHECKED", """{"allowed":true}"""),
            Entry(5, "ACTION_EXECUTED", """{"actionId":"a.x.1"}"""),
        ];

        var explanation = RunExplainer.Explain("run_x", entries)!;

        Assert.Equal(["TRIGGER_FIRED", "DECISION_PROPOSED", "POLICY_EVALUATED", "BUDGET_CHECKED", "ACTION_EXECUTED"], explanation.Why.Select(s => s.Type));
        Assert.Equal(["TRIGGER_FIRED", "DECISION_PROPOSED"], explanation.Knew.Select(k => k.Type));
        Assert.Equal(["POLICY_EVALUATED", "BUDGET_CHECKED"], explanation.Policy.Select(p => p.Type));
        Assert.Equal("ALLOWED_BY_POLICY", explanation.Why[2].Reason);
        Assert.Equal("low risk", explanation.Why[2].Explanation);
        Assert.Equal("AUTO_EXECUTE", (string?)explanation.Policy[0].Payload!["result"]!["decision"]);
    }

    private static LedgerEntry Entry(int seq, string type, string payload) =>
        new($"e{seq}", "t1", "account/t1/acc-1", seq, "run_x", type, T0.AddMilliseconds(seq), "system", payload, $"h{seq - 1}", $"h{seq}");
}

using Autonomy.Ledger;

namespace Autonomy.Tests.Ledger;

public sealed class RunExplanationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 31, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ARunWithoutEntriesHasNoExplanation() => Assert.Null(RunExplanation.Build("run_x", []));

    [Fact]
    public void StepsKeepLedgerOrderAndAreSortedIntoKnewAndPolicy()
    {
        LedgerEntry[] entries =
        [
            Entry(1, LedgerTypes.TriggerFired, """{"triggerType":"RENEWAL_WINDOW_OPENED","signals":[{"id":"s-1"}]}"""),
            Entry(2, LedgerTypes.CostGate, """{"verdict":"ALLOW","reason":"WORTH_RUNNING","explanation":"worth it"}"""),
            Entry(3, LedgerTypes.DecisionProposed, """{"engine":"playbook","proposals":[{"actionType":"CREATE_TASK"}]}"""),
            Entry(4, LedgerTypes.PolicyEvaluated, """{"actionType":"CREATE_TASK","result":{"decision":"AUTO_EXECUTE","reason":"ALLOWED_BY_POLICY","rule":"R14.allowed","policyVersion":"AutoApprovalPolicyV1@1","explanation":"low risk"},"configVersion":3}"""),
            Entry(5, LedgerTypes.BudgetChecked, """{"actionType":"CREATE_TASK","check":{"allowed":true,"detail":"1 of 5"}}"""),
            Entry(6, LedgerTypes.KillSwitchChecked, """{"actionType":"CREATE_TASK","stopped":false}"""),
            Entry(7, LedgerTypes.ActionExecuted, """{"action":{"actionType":"CREATE_TASK","status":"SUCCEEDED","autonomous":true,"detail":"kept"}}"""),
        ];

        var explanation = RunExplanation.Build("run_x", entries)!;

        Assert.Equal(entries.Select(e => e.Type), explanation.Why.Select(s => s.Type));
        Assert.Equal([LedgerTypes.TriggerFired, LedgerTypes.CostGate, LedgerTypes.DecisionProposed], explanation.Knew.Select(k => k.Type));
        Assert.Equal([LedgerTypes.PolicyEvaluated, LedgerTypes.BudgetChecked, LedgerTypes.KillSwitchChecked], explanation.Policy.Select(p => p.Type));
        Assert.Equal("ALLOWED_BY_POLICY", explanation.Why[3].Reason);
        Assert.Contains("rule R14.allowed", explanation.Why[3].Summary, StringComparison.Ordinal);
        Assert.Contains("AutoApprovalPolicyV1@1", explanation.Why[3].Summary, StringComparison.Ordinal);
        Assert.Equal(3, (int)explanation.Policy[0].Payload!["configVersion"]!);
        Assert.Contains("autonomously", explanation.Why[6].Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void TheEnginesCallAndItsFallbackAreWhatTheRunKnewAndSayWhichFallbackAnswered()
    {
        LedgerEntry[] entries =
        [
            Entry(1, LedgerTypes.TriggerFired, """{"triggerType":"TEST_INSTANT","signals":[{"id":"s-1"}]}"""),
            Entry(2, LedgerTypes.CostGate, """{"verdict":"ALLOW","reason":"WORTH_RUNNING","explanation":"worth it","engine":"chat"}"""),
            Entry(3, LedgerTypes.EngineCalled, """{"engine":"chat","model":"gpt-test","result":"MALFORMED_OUTPUT","promptTokens":100,"completionTokens":50,"chargedTokens":150,"cost":0.125,"reservedTokens":900,"accepted":0,"rejected":[],"elapsedMs":20}"""),
            Entry(4, LedgerTypes.EngineFallback, """{"reason":"MALFORMED_OUTPUT","fallback":"PLAYBOOK","explanation":"the playbook answers"}"""),
            Entry(5, LedgerTypes.DecisionProposed, """{"engine":"playbook","proposals":[]}"""),
        ];

        var explanation = RunExplanation.Build("run_x", entries)!;

        Assert.Equal(entries.Select(e => e.Type), explanation.Knew.Select(k => k.Type));
        Assert.Equal("MALFORMED_OUTPUT", explanation.Why[2].Reason);
        Assert.Contains("100 prompt and 50 completion tokens", explanation.Why[2].Summary, StringComparison.Ordinal);
        Assert.Equal("MALFORMED_OUTPUT", explanation.Why[3].Reason);
        Assert.Contains("PLAYBOOK", explanation.Why[3].Summary, StringComparison.Ordinal);
    }

    private static LedgerEntry Entry(int seq, string type, string payload) =>
        new($"e{seq}", "t1", "account/t1/acc-1", seq, "run_x", type, T0.AddMilliseconds(seq), "system", payload, $"h{seq - 1}", $"h{seq}");
}

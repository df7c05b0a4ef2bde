using Autonomy.Ledger;

namespace Autonomy.Tests.Ledger;

public sealed class LedgerJsonTests
{
    private enum Decision
    {
        AutoExecute,
        RequireApproval,
    }

    private sealed record Payload(Decision Decision, string? Reason, int PolicyVersion);

    [Fact]
    public void PayloadIsCamelCaseWithUpperSnakeEnumsAndNoNulls() =>
        Assert.Equal(
            """{"decision":"REQUIRE_APPROVAL","policyVersion":3}""",
            LedgerJson.Serialize(new Payload(Decision.RequireApproval, null, 3)));

    [Fact]
    public void OptionsAreSharedAndFrozen()
    {
        Assert.Same(LedgerJson.Options, LedgerJson.Options);
        Assert.True(LedgerJson.Options.IsReadOnly);
    }
}

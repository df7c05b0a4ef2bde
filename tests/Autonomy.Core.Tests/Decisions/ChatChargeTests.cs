using Autonomy.Decisions;
using CsCheck;

namespace Autonomy.Tests.Decisions;

/// <summary>What a chat call is charged against the tenant's token budget (settled with its reservation).</summary>
public sealed class ChatChargeTests
{
    private static readonly Gen<ChatOutcome> Outcome = Gen.Select(
        Gen.Enum<ChatCallResult>(),
        Gen.Long[0, 100_000].Nullable(0.4),
        Gen.Long[0, 100_000].Nullable(0.4),
        Gen.Bool,
        (result, prompt, completion, answered) => new ChatOutcome(result, null, prompt, completion, [], null, "m", TimeSpan.Zero, answered));

    [Fact]
    public void AReportedUsageIsChargedAsReported() =>
        Gen.Select(Outcome.Where(o => o.UsageKnown), Gen.Long[0, 1_000_000]).Sample((outcome, reserved) =>
            Assert.Equal((outcome.PromptTokens ?? 0) + (outcome.CompletionTokens ?? 0), outcome.Charged(reserved)));

    [Fact]
    public void ARefusalTheEndpointAnsweredCostsNothing() =>
        Gen.Long[0, 1_000_000].Sample(reserved =>
            Assert.Equal(0, new ChatOutcome(ChatCallResult.Failed, null, null, null, [], "503", "m", TimeSpan.Zero, EndpointAnswered: true).Charged(reserved)));

    [Fact]
    public void AnUnreportedCallThatMayHaveSpentTokensIsChargedTheWholeReservation() =>
        Gen.Select(Outcome.Where(o => !o.UsageKnown && !(o.EndpointAnswered && o.Result == ChatCallResult.Failed)), Gen.Long[0, 1_000_000]).Sample((outcome, reserved) =>
            Assert.Equal(reserved, outcome.Charged(reserved)));
}

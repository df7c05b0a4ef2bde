using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Ledger;
using Autonomy.Perception;

namespace Autonomy.Tests.Ledger;

/// <summary>
/// The exact text and hash of a SIGNAL_INGESTED entry for a fixed signal. Stored ledgers are verified by recomputing
/// these bytes, so a change to the payload's serialization or to the hash encoding (say, for speed) must leave both
/// as they are here.
/// </summary>
public sealed class SignalIngestedPinTests
{
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 12, 7, 18, 50, 1, TimeSpan.Zero).AddTicks(1234567);

    private static SignalIngestedPayload Payload() => new(
        [
            new IngestedSignal("s-1", "EMAIL_REPLY_RECEIVED", new DateTimeOffset(2026, 12, 7, 18, 49, 0, TimeSpan.FromHours(1)), 0.8, JsonNode.Parse("""{"subject":"Re: renewal","n":2}""")),
            new IngestedSignal("s-2", "WEBSITE_VISIT", null, 0.5, null),
        ],
        0.4375,
        HeatTier.Warm);

    public const string PinnedPayload =
        """{"signals":[{"id":"s-1","type":"EMAIL_REPLY_RECEIVED","occurredAt":"2026-12-07T18:49:00+01:00","value":0.8,"attributes":{"subject":"Re: renewal","n":2}},{"id":"s-2","type":"WEBSITE_VISIT","value":0.5}],"heat":0.4375,"tier":"WARM"}""";

    public const string PinnedHash = "d1619cf1961b91a4cffabb849bfe23caaee77a8c30318695a7660b35c5abeae5";

    [Fact]
    public void ThePayloadTextIsPinned() => Assert.Equal(PinnedPayload, LedgerJson.Serialize(Payload()));

    [Fact]
    public void TheEntryHashIsPinned()
    {
        var hash = LedgerHash.Compute("le_01KBYQ6C2H7N3X0000000000", "t1", "account:acc-1", 42, null, LedgerTypes.SignalIngested, At, "upstream", PinnedPayload, LedgerHash.Genesis);

        Assert.Equal(PinnedHash, hash);
        Assert.Equal("2026-12-07T18:50:01.1234567Z", LedgerHash.FormatTime(At));
    }
}

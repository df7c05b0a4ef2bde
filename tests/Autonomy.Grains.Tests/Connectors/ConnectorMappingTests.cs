using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Connectors;
using CsCheck;

namespace Autonomy.Tests.Connectors;

public class ConnectorMappingTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnAnswerIsMappedToSignalsAndPostureAndWhatCannotBeUsedIsCounted()
    {
        var root = JsonNode.Parse("""
            {"data":{"events":[
               {"id":"e-1","kind":"reply","score":1.7,"at":"2026-03-01T08:00:00Z","info":{"a":1}},
               {"id":42,"kind":"MEETING_BOOKED"},
               {"id":"e/3 with spaces","kind":"WEBSITE_VISIT","score":"high"},
               {"kind":"WEBSITE_VISIT"},
               {"id":"e-5","kind":"lower case"}],
             "account":{"intent":0.7,"risk":"n/a"}}}
            """);
        var mapping = new ConnectorMapping("$.data.events", "id", "kind", "score", "at", "info",
            ImmutableDictionary<string, string>.Empty.Add("reply", "EMAIL_REPLY_RECEIVED"),
            ImmutableDictionary<string, string>.Empty.Add("intent", "data.account.intent").Add("risk", "data.account.risk"));

        var data = PulledData.Map(root, mapping, "crm");

        Assert.Equal(["crm.e-1", "crm.42", PulledData.SignalId("crm", "e/3 with spaces")], data.Signals.Select(s => s.Id));
        Assert.All(data.Signals, s => Assert.True(Autonomy.Common.Ids.IsValidKey(s.Id)));
        Assert.Equal(["EMAIL_REPLY_RECEIVED", "MEETING_BOOKED", "WEBSITE_VISIT"], data.Signals.Select(s => s.Type));
        Assert.Equal(1.0, data.Signals[0].Value);
        Assert.Null(data.Signals[2].Value);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero), data.Signals[0].OccurredAt);
        Assert.Equal("""{"a":1}""", data.Signals[0].Attributes);
        Assert.Equal(2, data.Dropped);
        Assert.Equal(0.7, (double?)data.Posture!["intent"]);
        Assert.False(data.Posture.ContainsKey("risk"));
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("$.a.b[0].c", true)]
    [InlineData("items[2][0]", true)]
    [InlineData("[1].id", true)]
    [InlineData("", false)]
    [InlineData("a..b", false)]
    [InlineData("a[x]", false)]
    [InlineData("a[]", false)]
    [InlineData("a b", false)]
    public void OnlyDottedPathsAreValid(string path, bool valid) => Assert.Equal(valid, PulledData.IsValidPath(path));

    [Fact]
    public void PathsNeverThrowOnAnyShape() =>
        Gen.Select(Gen.OneOf(Gen.Const("a.b"), Gen.Const("a[0]"), Gen.Const("$.x[3].y"), Gen.String[0, 12]), Gen.OneOf(Gen.Const("""{"a":{"b":[1]}}"""), Gen.Const("[1,2]"), Gen.Const("3"), Gen.Const("""{"a":[{"b":1}]}""")))
            .Sample((path, json) => _ = PulledData.Path(JsonNode.Parse(json), path), iter: 2_000);

    [Fact]
    public void TheSyntheticConnectorIsDeterministicAndOverlappingPullsBringTheSameIds()
    {
        var first = SyntheticConnector.Generate(7, new PullRequest("t", "acc-1", null, Now)).ToJsonString();
        var again = SyntheticConnector.Generate(7, new PullRequest("t", "acc-1", null, Now)).ToJsonString();
        var otherSeed = SyntheticConnector.Generate(8, new PullRequest("t", "acc-1", null, Now)).ToJsonString();
        Assert.Equal(first, again);
        Assert.NotEqual(first, otherSeed);

        // Two windows that overlap share exactly the events of the overlap.
        var a = Ids(SyntheticConnector.Generate(7, new PullRequest("t", "acc-9", Now.AddHours(-20), Now.AddHours(-10))));
        var b = Ids(SyntheticConnector.Generate(7, new PullRequest("t", "acc-9", Now.AddHours(-15), Now)));
        var whole = Ids(SyntheticConnector.Generate(7, new PullRequest("t", "acc-9", Now.AddHours(-20), Now)));
        Assert.Equal(whole.Order(), a.Union(b).Order());
    }

    [Fact]
    public void MostSyntheticAccountsAreQuietAndAFewAreBusy()
    {
        var counts = Enumerable.Range(0, 400)
            .Select(i => SyntheticConnector.Generate(1, new PullRequest("t", $"acc-{i}", null, Now))["events"]!.AsArray().Count)
            .ToList();

        Assert.True(counts.Count(c => c <= 2) > 250, "most accounts are quiet");
        Assert.True(counts.Count(c => c >= 20) is > 5 and < 60, "a few are busy");
    }

    private static HashSet<string> Ids(JsonObject answer) => [.. answer["events"]!.AsArray().Select(e => (string)e!["id"]!)];
}

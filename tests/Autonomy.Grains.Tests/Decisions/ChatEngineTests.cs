using System.Collections.Immutable;
using System.Diagnostics;
using Autonomy.Actions;
using Autonomy.Decisions;
using Autonomy.Tests.Support;
using Autonomy.Triggers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autonomy.Tests.Engines;

/// <summary>The chat engine against an OpenAI-compatible server on loopback: structured proposals, validation, tokens, timeouts.</summary>
public sealed class ChatEngineTests : IAsyncLifetime
{
    private FakeChatServer _server = null!;
    private ServiceProvider _provider = null!;

    private static readonly DecisionContext Context = new(
        "t1", "acc-1", "run_1", "TEST_INSTANT", [new SignalRef("s-1", "TEST_INSTANT", DateTimeOffset.UnixEpoch, 0.8)], "CUSTOMER", """{"intent":0.9}""", 2.5, Playbook.Empty);

    private ChatEngine Engine => _provider.GetRequiredService<ChatEngine>();

    public async Task InitializeAsync()
    {
        _server = await FakeChatServer.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddChatEngine(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autonomy:Chat:AllowPrivateNetworks"] = "true",
            ["Autonomy:Chat:TotalTimeout"] = "00:00:02",
            ["Autonomy:Chat:MaxRetries"] = "0", // an error status is a failure at once, not a retry outlasting the timeout
        }).Build());
        _provider = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _server.DisposeAsync();
    }

    private ChatSettings Settings(string model, string? key = "sk-test") => new(_server.BaseUrl, model, key, 256, 0.5, 1.5);

    private async Task<ChatOutcome> CallAsync(string model)
    {
        var settings = Settings(model);
        return await Engine.CallAsync(Engine.Prepare(Context, settings, ActionCatalog.BuiltIns), settings);
    }

    [Fact]
    public async Task AWellFormedAnswerBecomesProposalsWithItsTokensAndTheRequestCarriesTheSchema()
    {
        var outcome = await CallAsync(FakeChatServer.Ok);

        Assert.Equal(ChatCallResult.Ok, outcome.Result);
        var proposal = Assert.Single(outcome.Decision!.Proposals);
        Assert.Equal(("CREATE_TASK", """{"title":"Call back"}""", 0.9), (proposal.ActionType, proposal.Parameters, proposal.Confidence));
        Assert.Equal((100L, 50L, 150L), (outcome.PromptTokens, outcome.CompletionTokens, outcome.Decision.Tokens));
        Assert.Equal(ChatEngine.Name, outcome.Decision.Engine);
        Assert.Equal((100 / 1000.0 * 0.5) + (50 / 1000.0 * 1.5), Settings(FakeChatServer.Ok).Cost(100, 50), 12);

        var (authorization, body) = Assert.Single(_server.Requests);
        Assert.Equal("Bearer sk-test", authorization);
        Assert.Equal(FakeChatServer.Ok, (string?)body["model"]);
        Assert.Equal("json_schema", (string?)body["response_format"]!["type"]);
        var types = body["response_format"]!["json_schema"]!["schema"]!["properties"]!["proposals"]!["items"]!["properties"]!["actionType"]!["enum"]!.AsArray().Select(t => (string?)t).ToList();
        Assert.Contains("CREATE_TASK", types);
        Assert.Equal(ActionCatalog.BuiltIns.Count, types.Count);
        Assert.Equal(256, (int?)(body["max_completion_tokens"] ?? body["max_tokens"]));
    }

    [Fact]
    public async Task TheReservationIsAnUpperBoundOfWhatTheCallReports()
    {
        var prompt = Engine.Prepare(Context, Settings(FakeChatServer.Ok), ActionCatalog.BuiltIns);
        var outcome = await Engine.CallAsync(prompt, Settings(FakeChatServer.Ok));
        Assert.True(prompt.ExpectedTokens >= outcome.TotalTokens);
        Assert.True(prompt.ExpectedTokens > 256, "the completion cap is part of the reservation");
    }

    [Fact]
    public async Task UnknownActionTypesAreRejectedAndTheRestTaken()
    {
        _server.Answers["mixed"] = """
            {"proposals":[
              {"actionType":"WIRE_MONEY","parameters":"{\"amount\":1000000}","confidence":0.99,"rationale":"x","inputsUsed":[]},
              {"actionType":"LOG_NOTE","parameters":"{\"text\":\"Asked about pricing\"}","confidence":0.6,"rationale":"y","inputsUsed":["signal:s-1"]}
            ]}
            """;

        var outcome = await CallAsync("mixed");

        Assert.Equal(ChatCallResult.Ok, outcome.Result);
        Assert.Equal("LOG_NOTE", Assert.Single(outcome.Decision!.Proposals).ActionType);
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal((0, "WIRE_MONEY", "UNKNOWN_ACTION_TYPE"), (rejected.Index, rejected.ActionType, rejected.Reason));
    }

    [Fact]
    public async Task MalformedOutputIsRejectedWholeWithItsTokensRecorded()
    {
        var outcome = await CallAsync(FakeChatServer.Malformed);

        Assert.Equal(ChatCallResult.MalformedOutput, outcome.Result);
        Assert.Null(outcome.Decision);
        Assert.Equal(150, outcome.TotalTokens);
        Assert.Contains("not JSON", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASlowEndpointTimesOutWithinTheBound()
    {
        var clock = Stopwatch.StartNew();
        var outcome = await CallAsync(FakeChatServer.Slow);

        Assert.Equal(ChatCallResult.Timeout, outcome.Result);
        Assert.False(outcome.UsageKnown);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task AnErrorStatusFailsTheCallAndSaysTheEndpointAnswered()
    {
        var outcome = await CallAsync(FakeChatServer.Error);

        Assert.Equal(ChatCallResult.Failed, outcome.Result);
        Assert.True(outcome.EndpointAnswered);
        Assert.Contains("500", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableEndpointFails()
    {
        var settings = new ChatSettings("http://127.0.0.1:1/v1", FakeChatServer.Ok, null, 64, 0, 0);
        var outcome = await Engine.CallAsync(Engine.Prepare(Context, settings, ActionCatalog.BuiltIns), settings);
        Assert.Contains(outcome.Result, new[] { ChatCallResult.Failed, ChatCallResult.Timeout });
        Assert.Null(outcome.Decision);
    }

    [Theory]
    [InlineData("""{"proposals":[{"actionType":"CREATE_TASK","parameters":"not json","confidence":0.5}]}""", "BAD_PARAMETERS")]
    [InlineData("""{"proposals":[{"actionType":"CREATE_TASK","parameters":"[1,2]","confidence":0.5}]}""", "BAD_PARAMETERS")]
    [InlineData("""{"proposals":[{"actionType":"CREATE_TASK","parameters":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}},"confidence":0.5}]}""", "BAD_PARAMETERS")]
    [InlineData("""{"proposals":[{"actionType":"CREATE_TASK","parameters":"{}","confidence":1.5}]}""", "BAD_CONFIDENCE")]
    [InlineData("""{"proposals":[{"actionType":"CREATE_TASK","parameters":"{}","confidence":"high"}]}""", "BAD_CONFIDENCE")]
    [InlineData("""{"proposals":[{"parameters":"{}","confidence":0.5}]}""", "UNKNOWN_ACTION_TYPE")]
    [InlineData("""{"proposals":[42]}""", "MALFORMED_PROPOSAL")]
    public void EachBadProposalIsRejectedAlone(string answer, string reason)
    {
        var result = ChatAnswer.Parse(answer, ImmutableHashSet.Create("CREATE_TASK"), 10);
        Assert.Null(result.Error);
        Assert.Empty(result.Proposals);
        Assert.Equal(reason, Assert.Single(result.Rejected).Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"actions":[]}""")]
    [InlineData("""{"proposals":{}}""")]
    [InlineData("I think you should call them.")]
    public void AnAnswerWithoutAProposalsArrayIsMalformed(string answer) =>
        Assert.NotNull(ChatAnswer.Parse(answer, ImmutableHashSet.Create("CREATE_TASK"), 10).Error);

    [Fact]
    public void DuplicatesAndProposalsBeyondTheMaximumAreRejectedAndAFencedAnswerIsRead()
    {
        var one = """{"actionType":"CREATE_TASK","parameters":{"title":"A"},"confidence":0.5,"rationale":"r","inputsUsed":[]}""";
        var other = """{"actionType":"CREATE_TASK","parameters":"{\"title\":\"B\"}","confidence":0.5,"rationale":"r","inputsUsed":[]}""";
        var answer = "```json\n{\"proposals\":[" + one + "," + one + "," + other + "," + other + "]}\n```";

        var result = ChatAnswer.Parse(answer, ImmutableHashSet.Create("CREATE_TASK"), 3);

        Assert.Equal(["""{"title":"A"}""", """{"title":"B"}"""], result.Proposals.Select(p => p.Parameters));
        Assert.Equal(["DUPLICATE", "TOO_MANY_PROPOSALS"], result.Rejected.Select(r => r.Reason));
    }

    [Fact]
    public void TheSettingsNeverPrintTheKey() =>
        Assert.DoesNotContain("sk-secret", new ChatSettings("https://x.example/v1", "m", "sk-secret", 10, 0, 0).ToString(), StringComparison.Ordinal);
}

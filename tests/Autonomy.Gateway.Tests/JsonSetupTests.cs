using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Outcomes;
using Autonomy.Policy;

namespace Autonomy.Gateway.Tests;

/// <summary>The enum spellings of API.md, pinned through the gateway's one JSON setup.</summary>
public sealed class JsonSetupTests
{
    private static readonly JsonSerializerOptions Options = Create();

    private sealed record Holder(string Name, Holder? Inner);

    [Theory]
    [InlineData("""{"name":"a","yolo":1}""", "yolo")]
    [InlineData("""{"name":"a","inner":{"name":"b","tipe":"x"}}""", "tipe")]
    public void AnUnknownFieldIsRefusedByTypeNamingIt(string json, string field)
    {
        var refused = Assert.Throws<UnknownFieldException>(() => JsonSerializer.Deserialize<Holder>(json, Options));

        Assert.Equal(field, refused.Field);
    }

    [Fact]
    public void TheHiddenRefusalIsNeverWritten() =>
        Assert.Equal("""{"name":"a","inner":null}""", JsonSerializer.Serialize(new Holder("a", null), Options));

    [Fact]
    public void ModesAreSpelledAsTheContract() =>
        Assert.Equal(["PROPOSE_ONLY", "APPROVAL_REQUIRED", "AUTO_EXECUTE", "DISABLED"], Spellings<AutonomyModeV1>());

    [Fact]
    public void DecisionsAreSpelledAsTheContract() =>
        Assert.Equal(["AUTO_EXECUTE", "REQUIRE_APPROVAL", "BLOCK"], Spellings<PolicyDecision>());

    [Fact]
    public void PolicyReasonsAreSpelledAsTheContract()
    {
        var reasons = Spellings<PolicyReason>();

        foreach (var named in new[] { "KILL_SWITCH", "ACTION_TYPE_DISABLED", "MODE_PROPOSE_ONLY", "MODE_APPROVAL_REQUIRED", "RISK_LEVEL_HIGH", "EXTERNAL_CONTACT", "NOT_ALLOW_LISTED", "LOW_CONFIDENCE", "LIFECYCLE_STATE", "BUDGET_EXHAUSTED", "ALLOWED_BY_POLICY" })
        {
            Assert.Contains(named, reasons);
        }
    }

    [Fact]
    public void OutcomesAreSpelledAsTheContract() =>
        Assert.Equal(["IDEA_REJECTED", "IDEA_EDITED", "EXECUTION_FAILED", "EXECUTION_SUCCEEDED", "NO_RESPONSE", "NEGATIVE_RESPONSE", "EXPIRED"], Spellings<OutcomeV1>());

    [Fact]
    public void StatusesAndRiskLevelsAreSpelledAsTheContract()
    {
        Assert.Equal(["SUCCEEDED", "FAILED", "REVERTED"], Spellings<ActionStatus>());
        Assert.Equal(["LOW", "MEDIUM", "HIGH"], Spellings<RiskLevel>());
    }

    [Fact]
    public void DatesAndTimesUseTheContractFormats()
    {
        Assert.Equal("\"2026-01-31\"", JsonSerializer.Serialize(new DateOnly(2026, 1, 31), Options));
        Assert.Equal("\"07:05\"", JsonSerializer.Serialize(new TimeOnly(7, 5), Options));
        Assert.Equal(new TimeOnly(7, 5), JsonSerializer.Deserialize<TimeOnly>("\"07:05\"", Options));
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<TimeOnly>("\"7 o'clock\"", Options));
    }

    [Theory]
    [InlineData("\"YOLO\"")]
    [InlineData("\"AutoExecute\"")]
    [InlineData("\"auto_execute\"")]
    [InlineData("2")]
    public void OnlyTheContractSpellingIsRead(string json)
    {
        var error = Assert.Throws<JsonContractException>(() => JsonSerializer.Deserialize<AutonomyModeV1>(json, Options));
        Assert.Contains("AUTO_EXECUTE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NumbersInStringsAreRejected() =>
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Probe>("""{"count":"5"}""", Options));

    [Theory]
    [InlineData("$.signals[0].tipe", "signals[0].tipe")]
    [InlineData("$.mode", "mode")]
    [InlineData("$", "body")]
    [InlineData(null, "body")]
    public void JsonPathsBecomeFieldNames(string? path, string field) =>
        Assert.Equal(field, ProblemDetailsExceptionHandler.FieldOf(path));

    private static List<string> Spellings<T>()
        where T : struct, Enum =>
        Enum.GetValues<T>().Select(v => JsonSerializer.Serialize(v, Options).Trim('"')).ToList();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        GatewayJson.Configure(options);
        return options;
    }

    private sealed record Probe(int Count);
}

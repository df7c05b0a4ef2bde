using System.Text.RegularExpressions;

namespace Autonomy.Tests.Architecture;

/// <summary>
/// One typed ledger: every step is written with a payload that names its entry type, and the engine acts as one
/// <c>Actor.System</c>. The source is read as text, because the low-level append stays open to the store's own tests.
/// </summary>
public sealed partial class TypedLedgerTests
{
    private static readonly string[] Sources = ["src/Grains", "src/Gateway", "src/Silo"];

    [Fact]
    public void NoStepIsWrittenByTypeNameOrWithAnAnonymousPayload()
    {
        var offences = Lines().Where(line => RawAppend().IsMatch(line.Text)).Select(line => line.Where).ToList();

        Assert.True(offences.Count == 0, "Ledger steps written by type name (use a payload record that implements ILedgerPayload): " + string.Join("; ", offences));
    }

    [Fact]
    public void TheEngineActsAsActorSystemOnly()
    {
        var offences = Lines().Where(line => line.Text.Contains("\"system\"", StringComparison.Ordinal)).Select(line => line.Where).ToList();

        Assert.True(offences.Count == 0, "\"system\" spelled out (use Actor.System): " + string.Join("; ", offences));
    }

    [Theory]
    [InlineData("        batch.Add(LedgerTypes.TriggerSuppressed, null, \"system\", new { reason });", true)]
    [InlineData("        await Stream.AppendAsync(LedgerTypes.ConfigChanged, null, actor.Id, payload);", true)]
    [InlineData("        await stream.AppendAsync(type, null, actor.Id, new { kind });", true)]
    [InlineData("        batch.Add(run.RunId, Actor.System, new CostGatePayload(gate));", false)]
    [InlineData("        await Stream.AppendAsync(null, actor, payload(version));", false)]
    public void TheRuleKnowsARawAppend(string line, bool raw) => Assert.Equal(raw, RawAppend().IsMatch(line));

    private static IEnumerable<(string Where, string Text)> Lines() =>
        Sources.SelectMany(source => Directory.EnumerateFiles(Repository.PathOf(source), "*.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(file => File.ReadAllLines(file).Select((text, i) => ($"{Path.GetRelativePath(Repository.Root(), file)}:{i + 1}", text)));

    /// <summary>An Add or AppendAsync whose first argument is an entry type, or whose payload is an anonymous object.</summary>
    [GeneratedRegex(@"\b(Add|AppendAsync)\((LedgerTypes\.|type\b)|\b(Add|AppendAsync)\(.*new \{")]
    private static partial Regex RawAppend();
}

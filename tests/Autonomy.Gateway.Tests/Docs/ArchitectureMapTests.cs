using System.Text.RegularExpressions;

namespace Autonomy.Gateway.Tests.Docs;

/// <summary>The "Where is X" table of docs/architecture.md answers with paths that exist.</summary>
public sealed partial class ArchitectureMapTests
{
    [Fact]
    public void EveryPathTheWhereIsTableNamesExists()
    {
        var paths = WhereIsPaths(File.ReadAllText(Repository.PathOf("docs/architecture.md")));

        Assert.True(paths.Count >= 15, $"The table names only {paths.Count} paths; did its heading or format change?");
        var missing = paths.Where(path => !File.Exists(Repository.PathOf(path)) && !Directory.Exists(Repository.PathOf(path))).ToList();
        Assert.True(missing.Count == 0, $"docs/architecture.md, \"Where is X\", names paths that are gone: {string.Join(", ", missing)}");
    }

    [Fact]
    public void AGonePathIsNoticed() =>
        Assert.Equal(["src/Nowhere/Gone.cs"], WhereIsPaths("## Where is X\n\n| q | where |\n|---|---|\n| a | `src/Nowhere/Gone.cs` (a note) |\n\n## Next\n| b | `src/Other.cs` |\n"));

    /// <summary>The backticked paths in the rows of the "Where is X" section.</summary>
    private static List<string> WhereIsPaths(string markdown)
    {
        var start = markdown.IndexOf("## Where is X", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/architecture.md has no \"## Where is X\" section.");
        var end = markdown.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = end < 0 ? markdown[start..] : markdown[start..end];
        return section.Split('\n')
            .Where(line => line.StartsWith('|'))
            .SelectMany(line => Path().Matches(line).Select(m => m.Groups[1].Value))
            .ToList();
    }

    [GeneratedRegex(@"`((?:src|docs|tests|bench|deploy)/[^`\s]+)`")]
    private static partial Regex Path();
}

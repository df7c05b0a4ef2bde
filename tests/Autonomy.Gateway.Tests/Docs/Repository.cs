namespace Autonomy.Gateway.Tests.Docs;

/// <summary>Files of the repository these tests were built from, found from the test binaries.</summary>
public static class Repository
{
    /// <summary>The directory holding Autonomy.sln, found by walking up from the test binaries.</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Autonomy.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"Autonomy.sln not found above {AppContext.BaseDirectory}.");
    }

    /// <summary>The full path of a file given relative to the repository root, e.g. <c>docs/configuration.md</c>.</summary>
    public static string PathOf(string relative) => Path.Combine([Root(), .. relative.Split('/')]);
}

using Microsoft.Data.Sqlite;

namespace Autonomy.Tests.Support;

/// <summary>A fresh directory per test under the temp folder, removed on dispose, so tests never share a file.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autonomy-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        // Pooled connections keep SQLite files open, which would block the delete on Windows.
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory harms no later test: every test takes a new one.
        }
    }
}

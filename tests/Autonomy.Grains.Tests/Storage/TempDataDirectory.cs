using Microsoft.Data.Sqlite;

namespace Autonomy.Tests.Storage;

/// <summary>A fresh directory under the temp folder, removed on dispose.</summary>
internal sealed class TempDataDirectory : IDisposable
{
    public string Path { get; } =
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autonomy-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        // Pooled connections keep the files open, which would block the delete on Windows.
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Leftovers in the temp folder harm no later test: every test takes a new directory.
        }
    }
}

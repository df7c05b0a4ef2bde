namespace Autonomy.Hosting;

/// <summary>
/// Files and folders the engine creates for itself (the data directory, its SQLite databases, key files) are the
/// service user's alone: folders 0700, files 0600 on Unix. Only what this process creates is set; a folder that
/// already exists (say, one an operator pointed at) keeps its mode.
/// </summary>
public static class OwnerOnly
{
    private const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="path"/> (and missing parents) owner-only when missing; returns its full path.</summary>
    public static string CreateDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(full);
            }
            else
            {
                Directory.CreateDirectory(full, Folder);
            }
        }

        return full;
    }

    /// <summary>
    /// Creates an empty file owner read/write only unless it exists, so a database opened on it next (SQLite, and the
    /// -wal and -shm files SQLite gives the same mode) is never readable by other users.
    /// </summary>
    public static void CreateFile(string path)
    {
        var full = Path.GetFullPath(path);
        CreateDirectory(Path.GetDirectoryName(full)!);
        if (System.IO.File.Exists(full))
        {
            return;
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = File;
        }

        try
        {
            using (new FileStream(full, options))
            {
            }
        }
        catch (IOException) when (System.IO.File.Exists(full))
        {
            // Created by another process at the same moment: theirs was created the same way.
        }
    }

    /// <summary>The embedded data directory prepared before any store opens it: the folder and the SQLite files owner-only.</summary>
    public static void PrepareDataDirectory(string dataDirectory, params string[] files)
    {
        var directory = CreateDirectory(dataDirectory);
        foreach (var file in files)
        {
            CreateFile(Path.Combine(directory, file));
        }
    }
}

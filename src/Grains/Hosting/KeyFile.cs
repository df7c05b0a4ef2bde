namespace Autonomy.Hosting;

/// <summary>The one way a key is generated into the data directory (the token signing key, the checkpoint keys).</summary>
public static class KeyFile
{
    /// <summary>
    /// Writes <paramref name="contents"/> to <paramref name="path"/> unless the file exists: first to a temporary
    /// file created owner read/write only, then moved into place without overwriting, so two processes starting
    /// together agree on one key (the loser keeps the winner's) and nobody reads a half-written file.
    /// </summary>
    public static void CreateOnce(string path, string contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(contents);
        if (File.Exists(path))
        {
            return;
        }

        OwnerOnly.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var writer = new StreamWriter(temporary, options))
            {
                writer.Write(contents);
            }

            if (!OperatingSystem.IsWindows())
            {
                // The umask can only take bits away; set the mode explicitly all the same.
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs.
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

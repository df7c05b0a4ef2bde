using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Autonomy.Hosting;

/// <summary>
/// Creates or upgrades the PostgreSQL schema of the cluster mode: <c>deploy/sql/postgresql/orleans.sql</c>
/// (the tables and queries of Orleans' ADO.NET clustering, grain storage and reminders) and <c>ledger.sql</c>
/// (the ledger), read from <c>sql/postgresql/</c> next to the assembly, where Autonomy.Grains.csproj copies them.
/// </summary>
/// <remarks>
/// Both scripts run in ONE transaction holding a transaction-level advisory lock, so silos that start together
/// apply them one after another and the later ones find the work done. Each script records its version in
/// <c>autonomy_schema</c> (name and version, in its <c>autonomy_schema_check</c> call and its closing upsert): a
/// script runs when the database holds no or an older version of it, is skipped when it holds the same
/// version, and the start is refused when the database is newer than this build.
/// An operator can apply the same schema by hand; the scripts are plain SQL and check the version themselves:
/// <code>psql -v ON_ERROR_STOP=1 -f deploy/sql/postgresql/orleans.sql -f deploy/sql/postgresql/ledger.sql</code>
/// </remarks>
public static partial class PostgresSchema
{
    /// <summary>The scripts in the order they run.</summary>
    internal static readonly string[] ScriptFiles = ["orleans.sql", "ledger.sql"];

    /// <summary>The advisory lock key: "autonomy" in ASCII, as a 64-bit integer.</summary>
    internal const long LockKey = 0x6175746F6E6F6D79;

    /// <summary>Applies the scripts the database does not hold yet, or fails without changing anything.</summary>
    /// <exception cref="InvalidOperationException">The database holds a newer schema than this build.</exception>
    public static async Task ApplyAsync(string connectionString, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var scripts = new List<Script>(ScriptFiles.Length);
        foreach (var file in ScriptFiles)
        {
            scripts.Add(await ReadScriptAsync(file, ct));
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key);", connection, transaction))
        {
            // Timeout 0: waiting for another silo's migration is the point, however long it takes.
            command.CommandTimeout = 0;
            command.Parameters.AddWithValue("key", LockKey);
            await command.ExecuteNonQueryAsync(ct);
        }

        var held = await ReadVersionsAsync(connection, transaction, ct);
        foreach (var script in scripts)
        {
            if (held.TryGetValue(script.Name, out var version) && version > script.Version)
            {
                throw new InvalidOperationException(
                    $"The PostgreSQL database holds the '{script.Name}' schema at version {version}, newer than version " +
                    $"{script.Version} of this build ({script.File}). Run this release against a database of its own " +
                    "version, or upgrade it; it will not run against a newer schema.");
            }
        }

        foreach (var script in scripts.Where(s => !held.TryGetValue(s.Name, out var version) || version < s.Version))
        {
            await using var command = new NpgsqlCommand(script.Text, connection, transaction) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
    }

    /// <summary>The versions the database holds, by script name; empty for a database without our schema.</summary>
    internal static async Task<Dictionary<string, int>> ReadVersionsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        var versions = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('autonomy_schema') IS NOT NULL;", connection, transaction))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(ct))!)
            {
                return versions;
            }
        }

        await using var command = new NpgsqlCommand("SELECT name, version FROM autonomy_schema;", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            versions[reader.GetString(0)] = reader.GetInt32(1);
        }

        return versions;
    }

    /// <summary>Reads a script and the name and version it records; both must be stated once, the same at both ends.</summary>
    internal static async Task<Script> ReadScriptAsync(string file, CancellationToken ct)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "sql", "postgresql", file);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The PostgreSQL schema script '{path}' is missing; Autonomy.Grains.csproj copies deploy/sql/postgresql/*.sql to sql/postgresql/ in the output folder.",
                path);
        }

        var text = await File.ReadAllTextAsync(path, ct);
        var check = CheckCall().Matches(text);
        var record = VersionUpsert().Matches(text);
        if (check.Count != 1 || record.Count != 1
            || check[0].Groups["name"].Value != record[0].Groups["name"].Value
            || check[0].Groups["version"].Value != record[0].Groups["version"].Value)
        {
            throw new InvalidOperationException(
                $"The schema script '{path}' must call autonomy_schema_check('<name>', <version>) once and record the same name and version once in autonomy_schema.");
        }

        return new Script(file, check[0].Groups["name"].Value, int.Parse(check[0].Groups["version"].Value, CultureInfo.InvariantCulture), text);
    }

    [GeneratedRegex(@"SELECT autonomy_schema_check\('(?<name>[a-z_]+)', (?<version>[0-9]+)\);")]
    private static partial Regex CheckCall();

    [GeneratedRegex(@"INSERT INTO autonomy_schema \(name, version\) VALUES \('(?<name>[a-z_]+)', (?<version>[0-9]+)\)")]
    private static partial Regex VersionUpsert();

    /// <summary>A schema script, the name it records its version under, and that version.</summary>
    internal sealed record Script(string File, string Name, int Version, string Text);
}

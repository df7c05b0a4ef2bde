using System.Security.Cryptography;
using Autonomy.Ledger;
using Microsoft.Extensions.Configuration;

namespace Autonomy.Hosting;

/// <summary>
/// Ledger checkpoint settings (section "Autonomy:Ledger"). The checkpoint key signs every checkpoint and must not
/// live in the ledger database: anyone who can write that database could otherwise re-sign a cut chain.
/// </summary>
public sealed class LedgerCheckpointOptions
{
    public const string Section = "Autonomy:Ledger";

    /// <summary>How often a tenant writes a checkpoint while anything was written (and once when its silo stops).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Checkpoint keys, key id to secret (at least 32 bytes), e.g. <c>Autonomy__Ledger__CheckpointKeys__k2=...</c>;
    /// old keys stay listed so the checkpoints they signed keep verifying. Required in cluster mode; in embedded
    /// mode, when unset, the keys are those of <c>checkpoint.key</c> in the data directory.
    /// </summary>
    public Dictionary<string, string> CheckpointKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The id of the key that signs new checkpoints; may be left out when there is one key.</summary>
    public string? CheckpointKeyId { get; set; }
}

/// <summary>
/// Where the checkpoint keys come from, the same way for a silo and for the gateway that verifies:
/// <c>Autonomy:Ledger:CheckpointKeys</c> when configured (any mode); otherwise, in embedded mode,
/// <c>checkpoint.key</c> in the data directory, generated on first use and readable by the owner only (one
/// <c>id=secret</c> per line, the last one signs: rotating is appending a line); otherwise (cluster mode) none,
/// and the start fails saying how to set them.
/// </summary>
public static class CheckpointKeys
{
    public const string FileName = "checkpoint.key";

    /// <summary>The id of the key generated with a new key file.</summary>
    public const string GeneratedId = "k1";

    /// <summary>Random bytes of a generated key: 384 bits, written as base64.</summary>
    private const int GeneratedBytes = 48;

    /// <summary>The configured keys, or the embedded key file's (created when missing).</summary>
    /// <exception cref="InvalidOperationException">Cluster mode without keys, or keys that do not parse.</exception>
    public static LedgerCheckpointKeyring Resolve(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(LedgerCheckpointOptions.Section).Get<LedgerCheckpointOptions>() ?? new LedgerCheckpointOptions();
        if (options.CheckpointKeys.Count > 0)
        {
            if (options.CheckpointKeys.Count > 1 && string.IsNullOrEmpty(options.CheckpointKeyId))
            {
                throw new InvalidOperationException("Autonomy:Ledger:CheckpointKeys holds several keys: set Autonomy:Ledger:CheckpointKeyId to the one that signs new checkpoints.");
            }

            try
            {
                return new LedgerCheckpointKeyring(
                    options.CheckpointKeys.Select(k => new LedgerCheckpointKey(k.Key, k.Value)),
                    options.CheckpointKeyId ?? options.CheckpointKeys.Keys.Single());
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"Autonomy:Ledger:CheckpointKeys is not usable: {ex.Message}", ex);
            }
        }

        var autonomy = configuration.GetSection(AutonomyOptions.Section).Get<AutonomyOptions>() ?? new AutonomyOptions();
        return autonomy.Mode == AutonomyMode.Embedded
            ? LoadOrCreate(autonomy.DataDirectory)
            : throw new InvalidOperationException(
                "Autonomy:Mode=Cluster needs a ledger checkpoint key, kept out of the database: set Autonomy:Ledger:CheckpointKeys:<id> " +
                "to a secret of at least 32 bytes (the same on every silo and gateway), e.g. --Autonomy:Ledger:CheckpointKeys:k1=\"$(openssl rand -base64 48)\".");
    }

    /// <summary>The path of the key file of a data directory.</summary>
    public static string PathIn(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), FileName);

    /// <summary>Reads the data directory's keys, first creating the file (owner read/write only) with one key when there is none.</summary>
    public static LedgerCheckpointKeyring LoadOrCreate(string dataDirectory)
    {
        var path = PathIn(dataDirectory);
        KeyFile.CreateOnce(
            path,
            $"# Ledger checkpoint keys: one id=secret per line, the last one signs. Keep old lines: they verify old checkpoints.\n{GeneratedId}={Convert.ToBase64String(RandomNumberGenerator.GetBytes(GeneratedBytes))}\n");
        try
        {
            return LedgerCheckpointKeyring.Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new InvalidOperationException($"The checkpoint key file {path} is not usable ({ex.Message}); it holds one id=secret per line, the last one current.", ex);
        }
    }
}

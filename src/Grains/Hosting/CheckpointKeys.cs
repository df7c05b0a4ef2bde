using System.Text;
using Autonomy.Ledger;
using Microsoft.Extensions.Configuration;

namespace Autonomy.Hosting;

/// <summary>
/// Ledger checkpoint settings (section "Autonomy:Ledger"). The signing key must not live in the ledger database:
/// anyone who can write that database could otherwise re-sign a cut chain. Silos hold the P-256 private key and sign;
/// gateways and auditors hold its public key and verify, so none of them can forge a checkpoint.
/// </summary>
public sealed class LedgerCheckpointOptions
{
    public const string Section = "Autonomy:Ledger";

    /// <summary>How often a tenant writes a checkpoint while anything was written (and once when its silo stops).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The P-256 private key silos sign checkpoints with: PEM text, a path to a PEM file, or base64 DER (PKCS#8 or
    /// SEC1); several keys (a PEM file of several blocks): the last one signs. Required on cluster silos; gateways never
    /// read it. Embedded mode, when unset: <c>checkpoint-signing.key</c> in the data directory, generated on first start.
    /// </summary>
    public string? CheckpointSigningKey { get; set; }

    /// <summary>
    /// P-256 public keys that verify checkpoints: PEM text, a path to a PEM file, or base64 SubjectPublicKeyInfo keys
    /// separated by commas. Required on cluster gateways: the public half of every signing key, old ones included.
    /// </summary>
    public string? CheckpointPublicKeys { get; set; }

    /// <summary>
    /// HMAC keys of earlier builds, key id to secret (at least 32 bytes): they verify the checkpoints they signed and
    /// never sign. In embedded mode the lines of the data directory's <c>checkpoint.key</c>, when it exists, count too.
    /// </summary>
    public Dictionary<string, string> CheckpointKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The id (<c>p256-...</c>) of the private key that signs new checkpoints; left out, the last one given.</summary>
    public string? CheckpointKeyId { get; set; }

    /// <summary>How old an entry may be with no checkpoint covering it before verify fails; left out, three checkpoint intervals.</summary>
    public TimeSpan? MaxUncheckpointedAge { get; set; }

    /// <summary>The age limit in force: <see cref="MaxUncheckpointedAge"/>, or three <see cref="CheckpointInterval"/>s.</summary>
    public TimeSpan UncheckpointedAgeLimit() => MaxUncheckpointedAge ?? CheckpointInterval * LedgerCoverageRule.DefaultIntervals;

    /// <summary>Null when usable, else a message naming the setting.</summary>
    public string? Problem() =>
        CheckpointInterval <= TimeSpan.Zero ? $"{Section}:CheckpointInterval must be positive."
        : UncheckpointedAgeLimit() < CheckpointInterval ? $"{Section}:MaxUncheckpointedAge ({UncheckpointedAgeLimit()}) must be at least {Section}:CheckpointInterval ({CheckpointInterval}): entries wait up to one interval for their checkpoint."
        : null;
}

/// <summary>
/// Where the checkpoint keys come from. A silo (<see cref="Resolve"/>) signs with
/// <c>Autonomy:Ledger:CheckpointSigningKey</c>, or in embedded mode with <c>checkpoint-signing.key</c> in the data
/// directory (generated on first use, readable by the owner only; beside it <c>checkpoint-public.pem</c>, its public
/// keys, for auditors). A cluster gateway (<see cref="ResolveVerifying"/>) holds public keys only
/// (<c>Autonomy:Ledger:CheckpointPublicKeys</c>). Both verify with the HMAC keys of earlier builds too
/// (<c>Autonomy:Ledger:CheckpointKeys</c>, and an embedded <c>checkpoint.key</c>), which never sign.
/// </summary>
public static class CheckpointKeys
{
    /// <summary>The embedded private key file: PKCS#8 PEM blocks, the last one signs.</summary>
    public const string SigningFileName = "checkpoint-signing.key";

    /// <summary>The embedded public key file, rewritten from the private one at every start: what an auditor is given.</summary>
    public const string PublicFileName = "checkpoint-public.pem";

    /// <summary>The HMAC key file of earlier builds (one <c>id=secret</c> per line): read when present, never created.</summary>
    public const string HmacFileName = "checkpoint.key";

    private const string SigningSetting = LedgerCheckpointOptions.Section + ":CheckpointSigningKey";
    private const string PublicSetting = LedgerCheckpointOptions.Section + ":CheckpointPublicKeys";
    private const string HmacSetting = LedgerCheckpointOptions.Section + ":CheckpointKeys";

    /// <summary>A silo's keys: its private key (current) and every key that verifies.</summary>
    /// <exception cref="InvalidOperationException">Cluster mode without a signing key, or keys that are not usable.</exception>
    public static LedgerCheckpointKeyring Resolve(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = Options(configuration);
        var autonomy = configuration.GetSection(AutonomyOptions.Section).Get<AutonomyOptions>() ?? new AutonomyOptions();
        var embedded = autonomy.Mode == AutonomyMode.Embedded;
        IReadOnlyList<LedgerCheckpointKey> signing;
        if (!string.IsNullOrWhiteSpace(options.CheckpointSigningKey))
        {
            signing = Read(options.CheckpointSigningKey, SigningSetting);
        }
        else if (embedded)
        {
            signing = LoadOrCreateSigningKeys(autonomy.DataDirectory);
        }
        else
        {
            throw new InvalidOperationException(
                $"Autonomy:Mode=Cluster needs a ledger checkpoint signing key on every silo, kept out of the database: set {SigningSetting} to a P-256 " +
                "private key (PEM, a path to a PEM file, or base64 PKCS#8), e.g. from `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out checkpoint-signing.pem`, " +
                $"and give gateways its public key in {PublicSetting} (`openssl pkey -in checkpoint-signing.pem -pubout`).");
        }

        if (signing.Any(k => k is not LedgerCheckpointEcdsaKey { CanSign: true }))
        {
            throw new InvalidOperationException($"{SigningSetting} holds something other than P-256 private keys: public keys go in {PublicSetting}, HMAC keys of earlier builds in {HmacSetting}.");
        }

        // The signing keys last, so that the last of them is current unless CheckpointKeyId names another.
        return Ring([.. Hmac(options, embedded ? autonomy.DataDirectory : null), .. Public(options), .. signing], options.CheckpointKeyId);
    }

    /// <summary>A cluster gateway's keys: public keys and HMAC keys of earlier builds, never a private key.</summary>
    /// <exception cref="InvalidOperationException">No public key, or keys that are not usable.</exception>
    public static LedgerCheckpointKeyring ResolveVerifying(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = Options(configuration);
        var keys = Public(options);
        if (keys.Count == 0)
        {
            throw new InvalidOperationException(
                $"Autonomy:Mode=Cluster gateways verify ledger checkpoints with the silos' public keys: set {PublicSetting} to the public key of every " +
                $"{SigningSetting} (PEM, a path to a PEM file, or base64 SubjectPublicKeyInfo, separated by commas), e.g. `openssl pkey -in checkpoint-signing.pem -pubout`.");
        }

        return Ring([.. Hmac(options, null), .. keys], null);
    }

    /// <summary>The path of the private key file of a data directory.</summary>
    public static string SigningPathIn(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), SigningFileName);

    /// <summary>The path of the public key file of a data directory.</summary>
    public static string PublicPathIn(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), PublicFileName);

    /// <summary>The path of the HMAC key file of earlier builds in a data directory.</summary>
    public static string HmacPathIn(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), HmacFileName);

    /// <summary>
    /// Reads the data directory's private keys, first creating the file (owner read/write only) with a new key when
    /// there is none, and writes their public keys to <see cref="PublicFileName"/>.
    /// </summary>
    public static IReadOnlyList<LedgerCheckpointKey> LoadOrCreateSigningKeys(string dataDirectory)
    {
        var path = SigningPathIn(dataDirectory);
        if (!File.Exists(path))
        {
            KeyFile.CreateOnce(
                path,
                "# Ledger checkpoint signing keys (P-256, PKCS#8 PEM), readable by the owner only. The last one signs; to rotate, append one\n" +
                "# (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 >> checkpoint-signing.key). Keep the old ones: their public\n" +
                $"# keys verify the checkpoints they signed. Auditors need only {PublicFileName}.\n" +
                LedgerCheckpointEcdsaKey.Generate().PrivateKeyPem() + "\n");
        }

        IReadOnlyList<LedgerCheckpointKey> keys;
        try
        {
            keys = LedgerCheckpointKeyring.ParseKeys(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new InvalidOperationException($"The checkpoint key file {path} is not usable ({ex.Message}); it holds P-256 private keys as PEM blocks, the last one current.", ex);
        }

        if (keys.Count == 0 || keys.Any(k => k is not LedgerCheckpointEcdsaKey { CanSign: true }))
        {
            throw new InvalidOperationException($"The checkpoint key file {path} must hold P-256 private keys (PEM blocks) and nothing else.");
        }

        WritePublicKeys(PublicPathIn(dataDirectory), keys.Cast<LedgerCheckpointEcdsaKey>());
        return keys;
    }

    private static LedgerCheckpointOptions Options(IConfiguration configuration)
    {
        var options = configuration.GetSection(LedgerCheckpointOptions.Section).Get<LedgerCheckpointOptions>() ?? new LedgerCheckpointOptions();
        return options.Problem() is { } problem ? throw new InvalidOperationException(problem) : options;
    }

    private static List<LedgerCheckpointKey> Public(LedgerCheckpointOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.CheckpointPublicKeys))
        {
            return [];
        }

        var keys = Read(options.CheckpointPublicKeys, PublicSetting);
        return keys.All(k => k is LedgerCheckpointEcdsaKey { CanSign: false })
            ? [.. keys]
            : throw new InvalidOperationException($"{PublicSetting} holds something other than P-256 public keys: a private key belongs on silos only ({SigningSetting}), HMAC keys in {HmacSetting}.");
    }

    private static List<LedgerCheckpointKey> Hmac(LedgerCheckpointOptions options, string? dataDirectory)
    {
        var keys = new List<LedgerCheckpointKey>();
        if (dataDirectory is not null && File.Exists(HmacPathIn(dataDirectory)))
        {
            keys.AddRange(Read(HmacPathIn(dataDirectory), HmacPathIn(dataDirectory)));
        }

        try
        {
            keys.AddRange(options.CheckpointKeys.Select(k => new LedgerCheckpointHmacKey(k.Key, k.Value)));
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{HmacSetting} is not usable: {ex.Message}", ex);
        }

        return keys;
    }

    private static LedgerCheckpointKeyring Ring(List<LedgerCheckpointKey> keys, string? currentId)
    {
        try
        {
            return new LedgerCheckpointKeyring(keys, currentId);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"The ledger checkpoint keys are not usable: {ex.Message}", ex);
        }
    }

    /// <summary>The keys of a setting's value: a path to a file, else the text itself (PEM or base64).</summary>
    private static IReadOnlyList<LedgerCheckpointKey> Read(string value, string source)
    {
        try
        {
            return LedgerCheckpointKeyring.ParseKeys(File.Exists(value.Trim()) ? File.ReadAllText(value.Trim()) : value);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            // The message never carries the key text.
            throw new InvalidOperationException($"{source} is not usable: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the public keys (owner-only, like every data file), only when they changed, replacing the file at once.</summary>
    private static void WritePublicKeys(string path, IEnumerable<LedgerCheckpointEcdsaKey> keys)
    {
        var text = new StringBuilder("# Ledger checkpoint public keys: give this file to auditors (verify-export --key ").Append(PublicFileName).Append(").\n");
        foreach (var key in keys)
        {
            text.Append("# ").Append(key.Id).Append('\n').Append(key.PublicKeyPem()).Append('\n');
        }

        var contents = text.ToString();
        if (File.Exists(path) && File.ReadAllText(path) == contents)
        {
            return;
        }

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

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

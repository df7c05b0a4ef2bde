using System.Globalization;
using System.Text.Json;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Ledger;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// Verifies an NDJSON ledger export offline, with no server and no database, and exits:
/// <code>dotnet run --project src/Gateway -- verify-export FILE --key KEY... [--max-age 00:03:00] [--allow-unsigned]</code>
/// Checks the chains, links and hashes of every entry, and the chain, hashes, Merkle roots and signatures of the
/// checkpoints, and every stream against its last checkpoint, as <c>GET .../ledger/verify</c> does
/// (<see cref="LedgerExportVerifier"/>). A KEY is a public key: a PEM file (the data directory's
/// <c>checkpoint-public.pem</c>), PEM text, or base64 SubjectPublicKeyInfo; HMAC keys of earlier builds (a
/// <c>checkpoint.key</c> file or <c>id=secret</c>) verify the checkpoints they signed. An export with no checkpoint,
/// or an entry older than <c>--max-age</c> (before the newest time in the export) that no checkpoint covers, is a
/// problem. <c>--allow-unsigned</c> asks for an unsigned check explicitly: no key needed, no checkpoint required,
/// the hash chains verified, and the answer says UNSIGNED. Prints <c>ok ...</c> or <c>problem ...</c>, then the
/// verification as the server's JSON; exit code 0 when ok, 1 on a problem, 2 when the arguments or files are wrong.
/// </summary>
public static class VerifyExportCommand
{
    public const string Name = "verify-export";

    public const string AllowUnsigned = "--allow-unsigned";

    public const string Usage =
        "usage: verify-export <export.ndjson> --key <public key: PEM file | PEM | base64 SubjectPublicKeyInfo | old HMAC key file | id=secret>... "
        + "[--max-age <hh:mm:ss, default 00:03:00>] [--allow-unsigned]";

    public static bool Matches(string[] args) => args is [Name, ..];

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string? file = null;
        var keyTexts = new List<string>();
        var options = new LedgerExportVerifyOptions();
        for (var i = 1; i < args.Length; i++)
        {
            if (Option(args, ref i, "--key") is { } key)
            {
                keyTexts.Add(File.Exists(key) ? File.ReadAllText(key) : key);
            }
            else if (Option(args, ref i, "--max-age") is { } maxAge)
            {
                if (!TimeSpan.TryParse(maxAge, CultureInfo.InvariantCulture, out var age) || age <= TimeSpan.Zero)
                {
                    error.WriteLine($"verify-export: --max-age is a positive time span such as 00:03:00, not '{maxAge}'.");
                    return 2;
                }

                options = options with { MaxUncheckpointedAge = age };
            }
            else if (args[i] == AllowUnsigned)
            {
                options = options with { AllowUnsigned = true };
            }
            else if (file is null && !args[i].StartsWith("--", StringComparison.Ordinal))
            {
                file = args[i];
            }
            else
            {
                error.WriteLine(Usage);
                return 2;
            }
        }

        if (file is null)
        {
            error.WriteLine(Usage);
            return 2;
        }

        if (!File.Exists(file))
        {
            error.WriteLine($"verify-export: no file {file}");
            return 2;
        }

        if (keyTexts.Count == 0 && !options.AllowUnsigned)
        {
            error.WriteLine($"verify-export: give the checkpoints' public key (--key checkpoint-public.pem), or ask for an unsigned check with {AllowUnsigned}.");
            error.WriteLine(Usage);
            return 2;
        }

        LedgerCheckpointKeyring? keys = null;
        try
        {
            if (keyTexts.Count > 0)
            {
                keys = LedgerCheckpointKeyring.Parse(string.Join('\n', keyTexts));
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            error.WriteLine($"verify-export: the keys are not usable: {ex.Message}");
            return 2;
        }

        using var reader = new StreamReader(file);
        var result = LedgerExportVerifier.VerifyAsync(reader, keys, options).GetAwaiter().GetResult();
        output.WriteLine(Summary(result, options.AllowUnsigned));
        var json = new JsonSerializerOptions();
        GatewayJson.Configure(json);
        output.WriteLine(JsonSerializer.Serialize(LedgerVerifyResponse.From(result), json));
        return result.Ok ? 0 : 1;
    }

    /// <summary>The one-line answer: ok and what was covered, or the first problem and where.</summary>
    public static string Summary(LedgerVerification result) => Summary(result, allowUnsigned: false);

    /// <summary>The one-line answer; after an unsigned check it starts by saying so.</summary>
    public static string Summary(LedgerVerification result, bool allowUnsigned)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.Ok)
        {
            var hint = result.Problem == LedgerExportVerifier.CheckpointsMissing
                ? $" (the export has no checkpoint lines; {AllowUnsigned} checks its hash chains alone)"
                : "";
            return $"problem: {result.Problem} at {result.FirstBrokenEntryId ?? "-"}" + (result.StreamId is { } s ? $" (stream {s})" : "")
                + $"; {result.Entries} entries and {result.Checkpoints} checkpoints intact before it{hint}";
        }

        var pending = result.NotYetCheckpointed is { } n
            ? $"; {n.Count} not yet checkpointed ({LedgerHash.FormatTime(n.From)} to {LedgerHash.FormatTime(n.To)})"
            : "";
        var counts = $"{result.Entries} entries, {result.CheckpointedEntries} checkpointed, {result.Checkpoints} checkpoints{pending}";
        if (!allowUnsigned)
        {
            return $"ok: {counts}";
        }

        var why = (result.Checkpoints, result.SignaturesChecked) switch
        {
            (0, _) => "no checkpoint: nothing signed vouches that entries were not cut or rewritten",
            (_, false) => "no key: checkpoint signatures NOT checked",
            _ => "checkpoint coverage of old entries not required",
        };
        return $"ok, UNSIGNED CHECK ({AllowUnsigned}): hash chains intact; {why}; {counts}";
    }

    /// <summary>The value of <c>--name value</c> or <c>--name=value</c> at <paramref name="i"/> (moved past it), or null.</summary>
    private static string? Option(string[] args, ref int i, string name)
    {
        if (args[i] == name && i + 1 < args.Length)
        {
            return args[++i];
        }

        return args[i].StartsWith(name + "=", StringComparison.Ordinal) ? args[i][(name.Length + 1)..] : null;
    }
}

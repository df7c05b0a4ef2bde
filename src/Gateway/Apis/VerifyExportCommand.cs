using System.Text.Json;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Ledger;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// Verifies an NDJSON ledger export offline, with no server and no database, and exits:
/// <code>dotnet run --project src/Gateway -- verify-export FILE [--key KEYFILE | --key id=secret[,id=secret...]]...</code>
/// Checks the chains, links and hashes of every entry, and the chain, hashes, Merkle roots and (given the keys)
/// HMAC signatures of the checkpoints, and every stream against its last checkpoint, as
/// <c>GET .../ledger/verify</c> does (<see cref="LedgerExportVerifier"/>). A key file holds one <c>id=secret</c>
/// per line, like the data directory's <c>checkpoint.key</c>. Prints <c>ok ...</c> or <c>problem ...</c>, then the
/// verification as the server's JSON; exit code 0 when ok, 1 on a problem, 2 when the arguments or files are wrong.
/// Without a key the signatures are not checked, and it says so.
/// </summary>
public static class VerifyExportCommand
{
    public const string Name = "verify-export";

    public const string Usage = "usage: verify-export <export.ndjson> [--key <key file> | --key <id>=<secret>[,<id>=<secret>...]]...";

    public static bool Matches(string[] args) => args is [Name, ..];

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string? file = null;
        var keyTexts = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--key" && i + 1 < args.Length)
            {
                var value = args[++i];
                keyTexts.Add(File.Exists(value) ? File.ReadAllText(value) : value);
            }
            else if (args[i].StartsWith("--key=", StringComparison.Ordinal))
            {
                var value = args[i]["--key=".Length..];
                keyTexts.Add(File.Exists(value) ? File.ReadAllText(value) : value);
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
        var result = LedgerExportVerifier.VerifyAsync(reader, keys).GetAwaiter().GetResult();
        output.WriteLine(Summary(result));
        var json = new JsonSerializerOptions();
        GatewayJson.Configure(json);
        output.WriteLine(JsonSerializer.Serialize(LedgerVerifyResponse.From(result), json));
        return result.Ok ? 0 : 1;
    }

    /// <summary>The one-line answer: ok and what was covered, or the first problem and where.</summary>
    public static string Summary(LedgerVerification result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.Ok)
        {
            return $"problem: {result.Problem} at {result.FirstBrokenEntryId}" + (result.StreamId is { } s ? $" (stream {s})" : "")
                + $"; {result.Entries} entries and {result.Checkpoints} checkpoints intact before it";
        }

        var pending = result.NotYetCheckpointed is { } n
            ? $"; {n.Count} not yet checkpointed ({LedgerHash.FormatTime(n.From)} to {LedgerHash.FormatTime(n.To)})"
            : "";
        var signatures = result.SignaturesChecked ? "" : "; signatures NOT checked (no --key)";
        return $"ok: {result.Entries} entries, {result.CheckpointedEntries} checkpointed, {result.Checkpoints} checkpoints{pending}{signatures}";
    }
}

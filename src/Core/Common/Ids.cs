using System.Buffers.Text;
using System.Text;

namespace Autonomy.Common;

/// <summary>
/// Identifiers. Proposal and action ids carry their account (base64url), so the gateway routes
/// <c>/proposals/{id}</c> to the right account grain without a directory lookup.
/// </summary>
public static class Ids
{
    /// <summary>
    /// Tenant, account, seller and signal ids: 1 to 128 of letters, digits, '.', '_', '-', and not only dots (<c>.</c> and
    /// <c>..</c> mean "here" and "up" in paths, file names and URLs an id may end up in).
    /// </summary>
    public static bool IsValidKey([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? id)
    {
        if (id is not { Length: >= 1 and <= 128 })
        {
            return false;
        }

        var notOnlyDots = false;
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }

            notOnlyDots |= c != '.';
        }

        return notOnlyDots;
    }

    public static string AccountKey(string tenantId, string accountId) => $"{tenantId}/{accountId}";

    public static (string TenantId, string Id) SplitKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (key[..slash], key[(slash + 1)..]);
    }

    public static string Proposal(string accountId, string suffix) => $"p.{Encode(accountId)}.{suffix}";

    public static string Action(string accountId, string suffix) => $"a.{Encode(accountId)}.{suffix}";

    /// <summary>The action id an approval of <paramref name="proposalId"/> executes under, so duplicates converge on one execution.</summary>
    public static string ActionOfProposal(string accountId, string proposalId) => Action(accountId, proposalId[(proposalId.LastIndexOf('.') + 1)..]);

    /// <summary>The account a proposal or action id belongs to, or null when the id is malformed.</summary>
    public static string? AccountOf(string id)
    {
        var parts = id.Split('.');
        if (parts.Length != 3 || parts[0] is not ("p" or "a") || parts[1].Length == 0)
        {
            return null;
        }

        try
        {
            var account = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
            return IsValidKey(account) ? account : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A new run id: sortable by time, unique.</summary>
    public static string NewRun(TimeProvider time) => "run_" + Sortable(time);

    public static string Sortable(TimeProvider time) =>
        $"{time.GetUtcNow().ToUnixTimeMilliseconds():x12}{Random.Shared.NextInt64():x16}";

    private static string Encode(string accountId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(accountId));
}

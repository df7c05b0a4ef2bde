namespace Autonomy.Ledger;

/// <summary>
/// Conventions of stream ids. A stream is the grain that writes it. An account grain writes the stream
/// <c>account/{tenantId}/{accountId}</c>; the stores derive the entry's account id from that form (and
/// only from it, with the entry's own tenant), which is what "the ledger of one account" queries by.
/// Every other stream has no account id.
/// </summary>
public static class LedgerStreamIds
{
    private const string AccountPrefix = "account/";

    /// <summary>The stream id of an account grain.</summary>
    public static string ForAccount(string tenantId, string accountId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        return $"{AccountPrefix}{tenantId}/{accountId}";
    }

    /// <summary>The account id of an account stream of <paramref name="tenantId"/>, or null for any other stream.</summary>
    public static string? AccountIdOf(string tenantId, string streamId)
    {
        var rest = streamId.AsSpan();
        if (!rest.StartsWith(AccountPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        rest = rest[AccountPrefix.Length..];
        if (!rest.StartsWith(tenantId, StringComparison.Ordinal) || rest.Length <= tenantId.Length + 1 || rest[tenantId.Length] != '/')
        {
            return null;
        }

        return rest[(tenantId.Length + 1)..].ToString();
    }
}

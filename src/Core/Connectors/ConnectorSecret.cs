using System.Globalization;

namespace Autonomy.Connectors;

/// <summary>How a stored connector secret carries over to a new configuration of the connector.</summary>
public static class ConnectorSecret
{
    /// <summary>
    /// The secret <paramref name="next"/> stores. Its own when it brings one; none when the caller cleared it; else
    /// (the caller sent none and asked to keep it) the stored one, but only while the endpoint's origin (scheme, host,
    /// port) and the auth header stay the same, so a secret is never sent to a host or in a header it was not given for.
    /// </summary>
    public static string? Carried(ConnectorConfig? stored, ConnectorConfig next, bool keepStored)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (!keepStored || next.Secret is not null)
        {
            return next.Secret;
        }

        return stored?.Secret is { } secret && SameDestination(stored, next) ? secret : null;
    }

    /// <summary>Whether a secret set for <paramref name="a"/> may go where <paramref name="b"/> sends it: same origin, same header.</summary>
    public static bool SameDestination(ConnectorConfig a, ConnectorConfig b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Kind == b.Kind
            && string.Equals(a.AuthHeader, b.AuthHeader, StringComparison.OrdinalIgnoreCase)
            && (Origin(a.Endpoint), Origin(b.Endpoint)) switch
            {
                ({ } x, { } y) => string.Equals(x, y, StringComparison.Ordinal),
                // An endpoint that is not a URL (or none) matches only itself, spelled the same.
                _ => string.Equals(a.Endpoint, b.Endpoint, StringComparison.Ordinal),
            };
    }

    /// <summary>
    /// <c>scheme://host:port</c> of an endpoint (host lowercased, the scheme's default port spelled out), its
    /// placeholders filled as a pull fills them; null when it is not an absolute URL.
    /// </summary>
    public static string? Origin(string? endpoint)
    {
        if (endpoint is null)
        {
            return null;
        }

        var filled = endpoint.Replace("{accountId}", "a", StringComparison.Ordinal).Replace("{since}", "", StringComparison.Ordinal);
        return Uri.TryCreate(filled, UriKind.Absolute, out var uri)
            ? string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}")
            : null;
    }
}

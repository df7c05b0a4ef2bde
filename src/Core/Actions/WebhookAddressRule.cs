using System.Net;
using System.Net.Sockets;

namespace Autonomy.Actions;

/// <summary>
/// Where a webhook may point. A tenant-supplied URL is a request the engine makes from inside the operator's
/// network, so unless the operator allows private networks (<c>Autonomy:Webhooks:AllowPrivateNetworks</c>) it
/// may not reach loopback, link-local, private (RFC 1918, unique-local fc00::/7), carrier-grade NAT
/// (100.64.0.0/10), "this network" (0.0.0.0/8), unspecified, multicast or broadcast addresses, in any spelling
/// (IPv4-mapped and IPv4-compatible IPv6 included), nor a <c>localhost</c> name. The URL check sees only literal
/// addresses and names; <see cref="WebhookClient"/> applies <see cref="IsPrivate"/> again to every address a
/// name resolves to, at connect time.
/// </summary>
public static class WebhookAddressRule
{
    /// <summary>Why <paramref name="url"/> may not be a webhook, or null when it may (absolute http or https).</summary>
    public static string? Check(string url, bool allowPrivateNetworks)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return "must be an absolute http or https URL.";
        }

        if (allowPrivateNetworks)
        {
            return null;
        }

        var host = uri.IdnHost.TrimEnd('.');
        if (IsLocalName(host))
        {
            return $"may not point at {host}: loopback names are refused unless Autonomy:Webhooks:AllowPrivateNetworks=true.";
        }

        return IPAddress.TryParse(uri.HostNameType == UriHostNameType.IPv6 ? host.Trim('[', ']') : host, out var address) && IsPrivate(address)
            ? $"may not point at {address}: loopback, link-local and private addresses are refused unless Autonomy:Webhooks:AllowPrivateNetworks=true."
            : null;
    }

    /// <summary><c>localhost</c> and any name under it (RFC 6761), which resolve to loopback by definition.</summary>
    public static bool IsLocalName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for an address a webhook may not reach unless private networks are allowed.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                return IsPrivate(address.MapToIPv4());
            }

            var b = address.GetAddressBytes();

            // IPv4-compatible (::a.b.c.d, deprecated but still parsed) and the unspecified and loopback addresses.
            if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
            {
                return b[12] == 0 || IsPrivate(new IPAddress(b.AsSpan(12, 4)));
            }

            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last four bytes.
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
            {
                return IsPrivate(new IPAddress(b.AsSpan(12, 4)));
            }

            return (b[0] & 0xFE) == 0xFC                          // unique local fc00::/7
                || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80)        // link-local fe80::/10
                || (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0)        // site-local fec0::/10 (deprecated)
                || b[0] == 0xFF;                                  // multicast ff00::/8
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return true;
        }

        var v4 = address.GetAddressBytes();
        return v4[0] == 0                                          // "this network" 0.0.0.0/8, unspecified included
            || v4[0] == 10                                         // 10.0.0.0/8
            || v4[0] == 127                                        // loopback 127.0.0.0/8
            || (v4[0] == 100 && (v4[1] & 0xC0) == 64)              // carrier-grade NAT 100.64.0.0/10
            || (v4[0] == 169 && v4[1] == 254)                      // link-local 169.254.0.0/16
            || (v4[0] == 172 && (v4[1] & 0xF0) == 16)              // 172.16.0.0/12
            || (v4[0] == 192 && v4[1] == 168)                      // 192.168.0.0/16
            || v4[0] >= 224;                                       // multicast 224.0.0.0/4, reserved 240.0.0.0/4, broadcast
    }
}

using System.Net;
using System.Net.Sockets;

namespace Autonomy.Actions;

/// <summary>
/// Where an outgoing call may point. A tenant-supplied URL (webhook, connector, chat endpoint) is a request the engine
/// makes from inside the operator's network, so unless the operator allows private networks
/// (<c>AllowPrivateNetworks</c>) it may not reach an address that IANA's special-purpose registries mark as not
/// globally reachable (loopback, "this network", RFC 1918, carrier-grade NAT, link-local, IETF protocol assignments,
/// documentation, benchmarking, multicast, reserved, unique-local, discard-only, local-use NAT64, ...), a cloud
/// provider's host endpoint (168.63.129.16), nor a <c>localhost</c> name, in any spelling (IPv4-mapped,
/// IPv4-compatible, NAT64 and 6to4 IPv6 carry an IPv4 address that is checked in its turn). The URL check sees only
/// literal addresses and names; the HTTP client applies <see cref="IsPrivate"/> again to every address a name
/// resolves to, at connect time. A call that carries a secret or a signature must also use https.
/// </summary>
public static class WebhookAddressRule
{
    /// <summary>The generic reason ledgered and returned for a refused address: never the addresses a name resolved to.</summary>
    public const string NonPublicReason = "the address resolves to a non-public network";

    /// <summary>IPv4 blocks refused (IANA IPv4 special-purpose registry, not globally reachable, and cloud host endpoints).</summary>
    private static readonly Block[] V4Blocks =
    [
        Block.Parse("0.0.0.0/8"),          // "this network", unspecified
        Block.Parse("10.0.0.0/8"),         // private
        Block.Parse("100.64.0.0/10"),      // carrier-grade NAT (Alibaba's metadata 100.100.100.200 included)
        Block.Parse("127.0.0.0/8"),        // loopback
        Block.Parse("168.63.129.16/32"),   // Azure's host endpoint (wire server)
        Block.Parse("169.254.0.0/16"),     // link-local (cloud metadata 169.254.169.254 included)
        Block.Parse("172.16.0.0/12"),      // private
        Block.Parse("192.0.0.0/24"),       // IETF protocol assignments
        Block.Parse("192.0.2.0/24"),       // documentation (TEST-NET-1)
        Block.Parse("192.88.99.0/24"),     // 6to4 relay anycast (deprecated)
        Block.Parse("192.168.0.0/16"),     // private
        Block.Parse("198.18.0.0/15"),      // benchmarking
        Block.Parse("198.51.100.0/24"),    // documentation (TEST-NET-2)
        Block.Parse("203.0.113.0/24"),     // documentation (TEST-NET-3)
        Block.Parse("224.0.0.0/3"),        // multicast 224/4, reserved 240/4, broadcast
    ];

    /// <summary>IPv6 blocks refused inside global unicast 2000::/3 (everything outside it is refused, but for the IPv4-carrying forms).</summary>
    private static readonly Block[] V6GlobalBlocks =
    [
        Block.Parse("2001::/23"),          // IETF protocol assignments (Teredo 2001::/32 included)
        Block.Parse("2001:db8::/32"),      // documentation
        Block.Parse("3fff::/20"),          // documentation
    ];

    private static readonly Block V6GlobalUnicast = Block.Parse("2000::/3");
    private static readonly Block Nat64 = Block.Parse("64:ff9b::/96");
    private static readonly Block SixToFour = Block.Parse("2002::/16");

    /// <summary>Why <paramref name="url"/> may not be called, or null when it may (absolute http or https).</summary>
    public static string? Check(string url, bool allowPrivateNetworks) => Check(url, allowPrivateNetworks, carriesSecret: false);

    /// <summary>
    /// Why <paramref name="url"/> may not be called, or null when it may. A call that carries a secret or a signature
    /// (<paramref name="carriesSecret"/>: a signed webhook, a connector with a secret, a chat engine with a key) must
    /// use https unless private networks are allowed, which is for development only.
    /// </summary>
    public static string? Check(string url, bool allowPrivateNetworks, bool carriesSecret)
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

        if (carriesSecret && uri.Scheme != Uri.UriSchemeHttps)
        {
            return "must be an https URL: the call carries a secret or a signature (http only when AllowPrivateNetworks=true, for development).";
        }

        var host = uri.IdnHost.TrimEnd('.');
        if (IsLocalName(host))
        {
            return $"may not point at {host}: loopback names are refused unless AllowPrivateNetworks=true.";
        }

        return IPAddress.TryParse(uri.HostNameType == UriHostNameType.IPv6 ? host.Trim('[', ']') : host, out var address) && IsPrivate(address)
            ? $"may not point at {address}: loopback, link-local, private and other non-public addresses are refused unless AllowPrivateNetworks=true."
            : null;
    }

    /// <summary>Whether a call to <paramref name="url"/> that carries a secret or a signature may go out: https, or private networks allowed.</summary>
    public static bool SecretMayGoTo(Uri url, bool allowPrivateNetworks)
    {
        ArgumentNullException.ThrowIfNull(url);
        return allowPrivateNetworks || url.Scheme == Uri.UriSchemeHttps;
    }

    /// <summary><c>localhost</c> and any name under it (RFC 6761), which resolve to loopback by definition.</summary>
    public static bool IsLocalName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for an address a call may not reach unless private networks are allowed.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var v4 = address.GetAddressBytes();
            return V4Blocks.Any(b => b.Contains(v4));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return IsPrivate(address.MapToIPv4());
        }

        var b = address.GetAddressBytes();

        // IPv4-compatible (::a.b.c.d, deprecated but still parsed), the unspecified and the loopback address.
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return b[12] == 0 || IsPrivate(new IPAddress(b.AsSpan(12, 4)));
        }

        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address.
        if (Nat64.Contains(b))
        {
            return IsPrivate(new IPAddress(b.AsSpan(12, 4)));
        }

        if (SixToFour.Contains(b))
        {
            return IsPrivate(new IPAddress(b.AsSpan(2, 4)));
        }

        // Outside global unicast: unique-local, link-local, site-local, multicast, discard-only, local-use NAT64, ...
        return !V6GlobalUnicast.Contains(b) || V6GlobalBlocks.Any(block => block.Contains(b));
    }

    /// <summary>An address block: its network bytes and prefix length.</summary>
    private readonly record struct Block(byte[] Network, int PrefixLength)
    {
        public static Block Parse(string cidr)
        {
            var slash = cidr.IndexOf('/', StringComparison.Ordinal);
            return new Block(IPAddress.Parse(cidr[..slash]).GetAddressBytes(), int.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }

        public bool Contains(byte[] address)
        {
            if (address.Length != Network.Length)
            {
                return false;
            }

            var whole = PrefixLength / 8;
            if (!address.AsSpan(0, whole).SequenceEqual(Network.AsSpan(0, whole)))
            {
                return false;
            }

            var rest = PrefixLength % 8;
            var mask = (byte)(0xFF << (8 - rest));
            return rest == 0 || (address[whole] & mask) == (Network[whole] & mask);
        }
    }
}

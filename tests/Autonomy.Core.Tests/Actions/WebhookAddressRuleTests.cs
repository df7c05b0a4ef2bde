using System.Net;
using Autonomy.Actions;
using CsCheck;

namespace Autonomy.Tests.Actions;

public sealed class WebhookAddressRuleTests
{
    /// <summary>(first octet, second octet range) of every private, loopback, link-local, CGNAT, "this network" and reserved IPv4 block.</summary>
    private static readonly Gen<IPAddress> PrivateV4 = Gen.OneOf(
        Gen.Byte.Array[3].Select(b => V4(10, b[0], b[1], b[2])),
        Gen.Byte.Array[3].Select(b => V4(127, b[0], b[1], b[2])),
        Gen.Byte.Array[3].Select(b => V4(0, b[0], b[1], b[2])),
        Gen.Byte[16, 31].Select(Gen.Byte.Array[2]).Select((second, b) => V4(172, second, b[0], b[1])),
        Gen.Byte.Array[2].Select(b => V4(192, 168, b[0], b[1])),
        Gen.Byte.Array[2].Select(b => V4(169, 254, b[0], b[1])),
        Gen.Byte[64, 127].Select(Gen.Byte.Array[2]).Select((second, b) => V4(100, second, b[0], b[1])),
        Gen.Byte[224, 255].Select(Gen.Byte.Array[3]).Select((first, b) => V4(first, b[0], b[1], b[2])));

    /// <summary>
    /// The blocks refused, written down from IANA's IPv4 and IPv6 special-purpose address registries (those not globally
    /// reachable, plus 192.0.0.0/24 whole and the 6to4 relay), and 168.63.129.16 (a cloud host endpoint): the oracle
    /// the rule is checked against, kept apart from the rule's own table.
    /// </summary>
    private static readonly string[] RefusedV4 =
    [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "168.63.129.16/32",
    ];

    /// <summary>Inside global unicast 2000::/3; everything outside it is refused (but the IPv4-carrying forms, checked by what they carry).</summary>
    private static readonly string[] RefusedV6Global = ["2001::/23", "2001:db8::/32", "3fff::/20"];

    private static readonly string[] RefusedV6Elsewhere = ["::1/128", "::/128", "100::/64", "64:ff9b:1::/48", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "5f00::/16"];

    private static bool InBlock(IPAddress address, string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        var network = IPAddress.Parse(cidr[..slash]).GetAddressBytes();
        var bits = int.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var bytes = address.GetAddressBytes();
        if (bytes.Length != network.Length)
        {
            return false;
        }

        for (var i = 0; i < bits; i++)
        {
            var mask = 0x80 >> (i % 8);
            if ((bytes[i / 8] & mask) != (network[i / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }

    private static bool OracleRefusesV4(IPAddress a) => RefusedV4.Any(b => InBlock(a, b));

    /// <summary>A uniformly random address inside <paramref name="cidr"/>.</summary>
    private static Gen<IPAddress> Within(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        var network = IPAddress.Parse(cidr[..slash]).GetAddressBytes();
        var bits = int.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return Gen.Byte.Array[network.Length].Select(random =>
        {
            var b = (byte[])random.Clone();
            for (var i = 0; i < bits; i++)
            {
                var mask = (byte)(0x80 >> (i % 8));
                b[i / 8] = (byte)((b[i / 8] & ~mask) | (network[i / 8] & mask));
            }

            return new IPAddress(b);
        });
    }

    /// <summary>Public unicast IPv4: everything outside the refused blocks.</summary>
    private static readonly Gen<IPAddress> PublicV4 = Gen.Byte.Array[4].Select(b => new IPAddress(b)).Where(a => !OracleRefusesV4(a));

    [Fact]
    public void EveryAddressOfEveryRefusedIPv4BlockIsRefusedInEverySpelling() =>
        Gen.OneOf(RefusedV4.Select(Within).ToArray()).Sample(a =>
            WebhookAddressRule.IsPrivate(a)
            && WebhookAddressRule.IsPrivate(a.MapToIPv6())
            && WebhookAddressRule.IsPrivate(IPAddress.Parse("64:ff9b::" + a))
            && WebhookAddressRule.IsPrivate(SixToFour(a))
            && WebhookAddressRule.Check($"https://{a}/hook", allowPrivateNetworks: false) is not null
            && WebhookAddressRule.Check($"https://[::ffff:{a}]/hook", allowPrivateNetworks: false) is not null);

    [Fact]
    public void AnyIPv4AddressIsRefusedExactlyWhenARegistryBlockHoldsIt() =>
        Gen.Byte.Array[4].Select(b => new IPAddress(b)).Sample(a =>
            WebhookAddressRule.IsPrivate(a) == OracleRefusesV4(a)
            && WebhookAddressRule.IsPrivate(IPAddress.Parse("64:ff9b::" + a)) == OracleRefusesV4(a)
            && WebhookAddressRule.IsPrivate(SixToFour(a)) == OracleRefusesV4(a));

    [Fact]
    public void AnyGlobalUnicastIPv6AddressIsRefusedExactlyWhenARegistryBlockHoldsIt() =>
        Within("2000::/3").Sample(a =>
            WebhookAddressRule.IsPrivate(a) == (RefusedV6Global.Any(b => InBlock(a, b))
                || (InBlock(a, "2002::/16") && OracleRefusesV4(new IPAddress(a.GetAddressBytes().AsSpan(2, 4))))));

    [Fact]
    public void EveryAddressOfEveryRefusedIPv6BlockIsRefused() =>
        Gen.OneOf([.. RefusedV6Global.Concat(RefusedV6Elsewhere).Select(Within)]).Sample(a =>
            WebhookAddressRule.IsPrivate(a) && WebhookAddressRule.Check($"https://[{a}]/hook", allowPrivateNetworks: false) is not null);

    [Fact]
    public void ASecretOrSignatureGoesOnlyToHttpsUnlessPrivateNetworksAreAllowed()
    {
        Assert.NotNull(WebhookAddressRule.Check("http://hooks.example.com/x", allowPrivateNetworks: false, carriesSecret: true));
        Assert.Null(WebhookAddressRule.Check("https://hooks.example.com/x", allowPrivateNetworks: false, carriesSecret: true));
        Assert.Null(WebhookAddressRule.Check("http://hooks.example.com/x", allowPrivateNetworks: false, carriesSecret: false));
        Assert.Null(WebhookAddressRule.Check("http://127.0.0.1:8080/x", allowPrivateNetworks: true, carriesSecret: true));
    }

    private static IPAddress SixToFour(IPAddress v4)
    {
        var b = new byte[16];
        b[0] = 0x20;
        b[1] = 0x02;
        v4.GetAddressBytes().CopyTo(b, 2);
        b[15] = 1;
        return new IPAddress(b);
    }

    [Fact]
    public void EveryPrivateIPv4AddressIsPrivateInEverySpelling() =>
        PrivateV4.Sample(a =>
            WebhookAddressRule.IsPrivate(a)
            && WebhookAddressRule.IsPrivate(a.MapToIPv6())
            && WebhookAddressRule.Check($"http://{a}/hook", allowPrivateNetworks: false) is not null
            && WebhookAddressRule.Check($"http://[{a.MapToIPv6()}]/hook", allowPrivateNetworks: false) is not null
            && WebhookAddressRule.Check($"http://[::ffff:{a}]:8080/hook", allowPrivateNetworks: false) is not null
            && WebhookAddressRule.Check($"http://{BitConverter.ToUInt32([.. a.GetAddressBytes().Reverse()])}/hook", allowPrivateNetworks: false) is not null);

    [Fact]
    public void EveryPublicIPv4AddressIsAllowedInEverySpelling() =>
        PublicV4.Sample(a =>
            !WebhookAddressRule.IsPrivate(a)
            && !WebhookAddressRule.IsPrivate(a.MapToIPv6())
            && WebhookAddressRule.Check($"https://{a}/hook", allowPrivateNetworks: false) is null
            && WebhookAddressRule.Check($"https://[{a.MapToIPv6()}]/hook", allowPrivateNetworks: false) is null);

    [Fact]
    public void UniqueLocalLinkLocalAndMulticastIPv6AreRefusedAndGlobalUnicastIsAllowed()
    {
        Gen.Byte.Array[16].Sample(b =>
        {
            var ula = (byte[])b.Clone();
            ula[0] = (byte)(0xFC | (b[0] & 1));
            var linkLocal = (byte[])b.Clone();
            linkLocal[0] = 0xFE;
            linkLocal[1] = (byte)(0x80 | (b[1] & 0x3F));
            var global = (byte[])b.Clone();
            global[0] = (byte)(0x20 | (b[0] & 0x1F)); // 2000::/3
            return WebhookAddressRule.IsPrivate(new IPAddress(ula))
                && WebhookAddressRule.IsPrivate(new IPAddress(linkLocal))
                && !WebhookAddressRule.IsPrivate(new IPAddress(global));
        });
    }

    [Fact]
    public void WithPrivateNetworksAllowedEveryHttpUrlPasses() =>
        Gen.OneOf(PrivateV4, PublicV4).Sample(a => WebhookAddressRule.Check($"http://{a}/hook", allowPrivateNetworks: true) is null);

    [Theory]
    [InlineData("http://localhost/hook")]
    [InlineData("http://LOCALHOST:8080/hook")]
    [InlineData("http://localhost./hook")]
    [InlineData("http://hooks.localhost/hook")]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://127.1/hook")]
    [InlineData("http://2130706433/hook")]
    [InlineData("http://0x7f000001/hook")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://[::]/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://[::ffff:7f00:1]/hook")]
    [InlineData("http://[::127.0.0.1]/hook")]
    [InlineData("http://[64:ff9b::a00:1]/hook")]
    [InlineData("http://[fe80::1%25eth0]/hook")]
    [InlineData("http://[fd12:3456::1]/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("https://10.1.2.3:8443/hook")]
    [InlineData("https://172.31.255.255/hook")]
    [InlineData("https://192.168.0.10/hook")]
    [InlineData("https://192.0.0.170/hook")]
    [InlineData("https://198.18.0.1/hook")]
    [InlineData("https://198.19.255.255/hook")]
    [InlineData("https://168.63.129.16/hook")]
    [InlineData("https://203.0.113.9/hook")]
    [InlineData("https://[64:ff9b:1::a00:1]/hook")]
    [InlineData("https://[64:ff9b:1::808:808]/hook")]
    [InlineData("https://[2001:db8::1]/hook")]
    [InlineData("https://[2002:a00:1::1]/hook")]
    [InlineData("https://[100::1]/hook")]
    [InlineData("https://[fd00:ec2::254]/hook")]
    public void LoopbackLinkLocalAndPrivateSpellingsAreRefused(string url)
    {
        Assert.NotNull(WebhookAddressRule.Check(url, allowPrivateNetworks: false));
        Assert.Null(WebhookAddressRule.Check(url, allowPrivateNetworks: true));
    }

    [Theory]
    [InlineData("https://hooks.example.com/autonomy")]
    [InlineData("http://8.8.8.8/hook")]
    [InlineData("http://100.128.0.1/hook")]
    [InlineData("http://172.32.0.1/hook")]
    [InlineData("http://[2001:4860:4860::8888]/hook")]
    [InlineData("https://localhost.example.com/hook")]
    public void PublicAddressesAndNamesAreAllowed(string url) =>
        Assert.Null(WebhookAddressRule.Check(url, allowPrivateNetworks: false));

    [Theory]
    [InlineData("ftp://example.com/hook")]
    [InlineData("/relative/hook")]
    [InlineData("not a url")]
    public void OnlyAbsoluteHttpUrlsAreWebhooks(string url) =>
        Assert.NotNull(WebhookAddressRule.Check(url, allowPrivateNetworks: true));

    private static IPAddress V4(byte a, byte b, byte c, byte d) => new([a, b, c, d]);
}

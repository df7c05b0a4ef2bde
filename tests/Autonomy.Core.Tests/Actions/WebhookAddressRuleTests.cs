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

    /// <summary>Public unicast IPv4: everything outside the blocks above.</summary>
    private static readonly Gen<IPAddress> PublicV4 = Gen.Byte.Array[4]
        .Where(b => b[0] is not (0 or 10 or 127) and < 224
            && !(b[0] == 172 && b[1] is >= 16 and <= 31)
            && !(b[0] == 192 && b[1] == 168)
            && !(b[0] == 169 && b[1] == 254)
            && !(b[0] == 100 && b[1] is >= 64 and <= 127))
        .Select(b => new IPAddress(b));

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

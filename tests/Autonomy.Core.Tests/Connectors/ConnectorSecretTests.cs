using Autonomy.Connectors;
using Autonomy.Perception;
using CsCheck;

namespace Autonomy.Tests.Connectors;

public sealed class ConnectorSecretTests
{
    private static readonly Gen<string> Scheme = Gen.OneOf("http", "https");
    private static readonly Gen<string> Host = Gen.OneOf("crm.example.com", "CRM.example.com", "crm.example.org", "evil.example.net", "10.0.0.7");
    private static readonly Gen<int?> Port = Gen.OneOf<int?>(null, 80, 443, 8443);
    private static readonly Gen<string> Path = Gen.OneOf("/api/accounts/{accountId}/activity?since={since}", "/v2/{accountId}", "/");
    private static readonly Gen<string?> Header = Gen.OneOf<string?>("Authorization", "authorization", "X-Api-Key", null);

    private static readonly Gen<(string Scheme, string Host, int? Port, string Path, string? Header)> Destination =
        Gen.Select(Scheme, Host, Port, Path, Header);

    [Fact]
    public void ASecretLeftOutStaysExactlyWhenSchemeHostPortAndHeaderStayTheSame() =>
        Gen.Select(Destination, Destination).Sample((a, b) =>
        {
            var stored = Connector(a, "s3cret");
            var next = Connector(b, null);

            var carried = ConnectorSecret.Carried(stored, next, keepStored: true);

            var same = a.Scheme == b.Scheme
                && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase)
                && EffectivePort(a) == EffectivePort(b)
                && string.Equals(a.Header, b.Header, StringComparison.OrdinalIgnoreCase);
            return carried == (same ? "s3cret" : null);
        });

    [Fact]
    public void ANewSecretIsStoredWhereverItGoesAndAClearedOneNowhere() =>
        Gen.Select(Destination, Destination, Gen.Bool).Sample((a, b, keep) =>
            ConnectorSecret.Carried(Connector(a, "old"), Connector(b, "new"), keep) == "new"
            && ConnectorSecret.Carried(Connector(a, "old"), Connector(b, null), keepStored: false) is null);

    [Fact]
    public void NothingIsCarriedFromNothing() =>
        Assert.Null(ConnectorSecret.Carried(null, Connector(("https", "crm.example.com", null, "/", "X-Api-Key"), null), keepStored: true));

    [Theory]
    [InlineData("https://crm.example.com/a", "https://crm.example.com:443/b?x=1", true)]
    [InlineData("https://crm.example.com/a", "https://CRM.EXAMPLE.COM/a", true)]
    [InlineData("https://crm.example.com/a", "http://crm.example.com/a", false)]
    [InlineData("https://crm.example.com/a", "https://crm.example.com:8443/a", false)]
    [InlineData("https://crm.example.com/a", "https://crm.example.com.evil.net/a", false)]
    [InlineData("https://crm.example.com/a", "https://user@evil.net/a", false)]
    public void TheOriginIsSchemeHostAndPort(string a, string b, bool same) =>
        Assert.Equal(same, ConnectorSecret.Origin(a) == ConnectorSecret.Origin(b));

    [Fact]
    public void ASyntheticConnectorTurnedIntoAnHttpOneLosesItsSecret()
    {
        var synthetic = Connector(("https", "x", null, "/", "X-Api-Key"), "s3cret") with { Kind = ConnectorKind.Synthetic, Endpoint = null };
        var http = Connector(("https", "evil.example.net", null, "/", "X-Api-Key"), null);

        Assert.Null(ConnectorSecret.Carried(synthetic, http, keepStored: true));
    }

    private static int EffectivePort((string Scheme, string Host, int? Port, string Path, string? Header) d) =>
        d.Port ?? (d.Scheme == "https" ? 443 : 80);

    private static ConnectorConfig Connector((string Scheme, string Host, int? Port, string Path, string? Header) d, string? secret) =>
        new(
            "crm", ConnectorKind.HttpJson, true, $"{d.Scheme}://{d.Host}{(d.Port is { } p ? $":{p}" : "")}{d.Path}", d.Header, secret,
            TimeSpan.FromSeconds(10), ConnectorMapping.Default, PullCadence.Default, Throttle.Default, 1, 0);
}

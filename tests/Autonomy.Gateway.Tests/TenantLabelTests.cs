using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Autonomy.Gateway.Tests.Support;
using Autonomy.Tests.Support;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// <c>/metrics</c> names no tenant unless <c>Autonomy:Metrics:TenantLabels</c> is true. Both gateways below scrape the
/// one in-process "Autonomy" meter, so they see the same measurements: the default one without tenant ids, the one
/// configured for them with.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TenantLabelTests(GatewayFactory factory)
{
    [Fact]
    public async Task MetricsCarryNoTenantIdUnlessConfigured()
    {
        await using var labelled = new CustomGatewayFactory(new Dictionary<string, string?> { ["Autonomy:Metrics:TenantLabels"] = "true" });
        var labelledScrape = labelled.Client(null);
        var plainScrape = factory.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await labelledScrape.GetAsync("/metrics")).StatusCode);
        var tenant = Tokens.FreshTenant();
        var scope = "PROBE_" + string.Concat(tenant[2..].Select(c => (char)('A' + (c % 26))));
        var admin = factory.Client(Tokens.Admin(tenant));
        using var tagged = TenantTaggedInstruments(out var seen);

        await (await admin.PutJson($"/v1/tenants/{tenant}/actions/catalog/{scope}", """{"riskLevel":"LOW","externalContact":false,"allowListed":false,"revertible":false}""")).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/kill-switches/{scope}", """{"engaged":true,"reason":"metrics probe"}""")).Expect(HttpStatusCode.OK);
        await (await factory.Client(Tokens.Ingest(tenant)).PostJson($"/v1/tenants/{tenant}/accounts/acc-1/signals", """{"signals":[{"id":"m-1","type":"WEBSITE_VISIT","value":0.2}]}""")).Expect(HttpStatusCode.Accepted);

        // Both scrapes show the probe's kill switch (by its scope); only the labelled one says whose it is.
        var plain = await Eventually.UntilAsync(() => plainScrape.GetStringAsync(new Uri("/metrics", UriKind.Relative)), m => m.Contains(scope, StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the probe in the default /metrics");
        var withTenants = await Eventually.UntilAsync(() => labelledScrape.GetStringAsync(new Uri("/metrics", UriKind.Relative)), m => m.Contains(scope, StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the probe in the labelled /metrics");

        Assert.DoesNotContain(tenant, plain, StringComparison.Ordinal);
        Assert.DoesNotContain("tenant=", plain, StringComparison.Ordinal);
        Assert.Contains($"tenant=\"{tenant}\"", withTenants, StringComparison.Ordinal);

        // Every instrument that recorded a tenant tag is one the default view strips it from.
        Assert.Contains("autonomy.kill_switches.engaged", seen.Keys);
        Assert.All(seen.Keys, name => Assert.True(AutonomyMetrics.TenantTagged.ContainsKey(name), $"{name} records a tenant tag but is not in AutonomyMetrics.TenantTagged"));
    }

    /// <summary>Listens to the "Autonomy" meter and collects the instruments whose measurements carry the tenant tag.</summary>
    private static MeterListener TenantTaggedInstruments(out ConcurrentDictionary<string, bool> seen)
    {
        var found = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == AutonomyMetrics.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == AutonomyMetrics.TenantTag)
                {
                    found[instrument.Name] = true;
                }
            }
        }

        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => Record(i, tags));
        listener.SetMeasurementEventCallback<int>((i, _, tags, _) => Record(i, tags));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Record(i, tags));
        listener.Start();
        seen = found;
        return listener;
    }
}

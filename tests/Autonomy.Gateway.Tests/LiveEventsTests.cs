using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Gateway.Tests.Support;
using Autonomy.Live;
using Microsoft.Extensions.DependencyInjection;

namespace Autonomy.Gateway.Tests;

/// <summary>Server-Sent Events over the cluster's live streams: what a page hears, and what it never hears.</summary>
public abstract class LiveEventsTestsBase(GatewayFactory factory)
{
    private const string Playbook = """
        {"rules":[{"when":{"signalType":"RENEWAL_WINDOW_OPENED"},
                   "propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Prepare renewal"},"confidence":0.9},
                              {"actionType":"SEND_EMAIL","parameters":{"template":"renewal-checkin"},"confidence":0.7}]}]}
        """;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ASellersPageHearsOfItsProposalItsActionAndTheRunAndAnotherSellerHearsNone()
    {
        var tenant = await TenantAsync();
        using var cancel = new CancellationTokenSource(Patience);
        await using var own = await OpenAsync(Tokens.Seller(tenant, "seller-1"), $"/v1/tenants/{tenant}/sellers/seller-1/events", cancel.Token);
        await using var other = await OpenAsync(Tokens.Seller(tenant, "seller-2"), $"/v1/tenants/{tenant}/sellers/seller-2/events", cancel.Token);

        await SignalAsync(tenant);
        var heard = await own.UntilAsync(seen => Has(seen, "proposal") && Has(seen, "action") && Has(seen, "run"), cancel.Token);
        Assert.All(heard.Where(e => e.Kind is "proposal" or "action" or "run"), e =>
        {
            Assert.Equal("seller-1", (string?)e.Data["sellerId"]);
            Assert.Equal("acc-1", (string?)e.Data["accountId"]);
        });

        // Every event of seller-1's was published before the switch; seller-2's page, ordered by the tenant's stream, hears the switch and nothing of seller-1's.
        var admin = factory.Client(Tokens.Admin(tenant));
        await (await admin.PutJson($"/v1/tenants/{tenant}/kill-switches/all", """{"engaged":true,"reason":"live events test"}""")).Expect(HttpStatusCode.OK);
        var seenByOther = await other.UntilAsync(seen => Has(seen, "kill-switch"), cancel.Token);
        Assert.DoesNotContain(seenByOther, e => e.Kind is "proposal" or "action" or "run" or "proposal-resolved");
        Assert.Equal("kill-switch:all", (string?)seenByOther.Last(e => e.Kind == "kill-switch").Data["id"]);
        await own.UntilAsync(seen => Has(seen, "kill-switch"), cancel.Token);
    }

    [Fact]
    public async Task AnAdminsTenantPageHearsEveryChangeOfItsTenantAndNoneOfAnother()
    {
        var tenant = await TenantAsync();
        var elsewhere = Tokens.FreshTenant();
        using var cancel = new CancellationTokenSource(Patience);
        await using var page = await OpenAsync(Tokens.Admin(tenant), $"/v1/tenants/{tenant}/events", cancel.Token);
        await using var otherTenant = await OpenAsync(Tokens.Auditor(elsewhere), $"/v1/tenants/{elsewhere}/events", cancel.Token);

        await SignalAsync(tenant);
        await page.UntilAsync(seen => Has(seen, "proposal") && Has(seen, "run"), cancel.Token);

        await (await factory.Client(Tokens.Admin(elsewhere)).PutJson($"/v1/tenants/{elsewhere}/autonomy/modes/CREATE_TASK", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        var seen = await otherTenant.UntilAsync(seen => Has(seen, "config"), cancel.Token);
        Assert.DoesNotContain(seen, e => e.Kind is "proposal" or "action" or "run");
    }

    [Fact]
    public async Task ASubscriptionTheClusterDroppedIsRenewedAndItsPagesAreToldToReload()
    {
        var tenant = await TenantAsync();
        using var cancel = new CancellationTokenSource(Patience);
        await using var page = await OpenAsync(Tokens.Seller(tenant, "seller-1"), $"/v1/tenants/{tenant}/sellers/seller-1/events", cancel.Token);

        // What a pulling agent does when it cannot reach the gateway across a silo loss: the stream's pub-sub forgets the
        // gateway's subscription, and nothing tells the gateway.
        var stream = factory.Services.GetRequiredService<IClusterClient>().GetStreamProvider(LiveStreams.Provider).GetStream<LiveEvent>(LiveStreams.Of(tenant));
        foreach (var handle in await stream.GetAllSubscriptionHandles()) await handle.UnsubscribeAsync();

        // The check (the hub's own, every 30 s, may have come first: then this one finds nothing left to renew).
        var hub = factory.Services.GetRequiredService<LiveEventHub>();
        Assert.InRange(await hub.RenewAsync(cancel.Token), 0, 1);
        await page.UntilAsync(seen => Has(seen, "resync"), cancel.Token);
        await SignalAsync(tenant);
        await page.UntilAsync(seen => Has(seen, "run"), cancel.Token);
        Assert.Equal(0, await hub.RenewAsync(cancel.Token));
    }

    [Fact]
    public async Task ALostSiloTellsEveryOpenPageToReload()
    {
        var tenant = await TenantAsync();
        using var cancel = new CancellationTokenSource(Patience);
        await using var seller = await OpenAsync(Tokens.Seller(tenant, "seller-1"), $"/v1/tenants/{tenant}/sellers/seller-1/events", cancel.Token);
        await using var admin = await OpenAsync(Tokens.Admin(tenant), $"/v1/tenants/{tenant}/events", cancel.Token);

        factory.Services.GetRequiredService<LiveEventHub>().SiloLost();
        await seller.UntilAsync(seen => Has(seen, "resync"), cancel.Token);
        await admin.UntilAsync(seen => Has(seen, "resync"), cancel.Token);
        await SignalAsync(tenant);
        await seller.UntilAsync(seen => Has(seen, "run"), cancel.Token);
    }

    [Theory]
    [InlineData("ingest", "/v1/tenants/{t}/events", HttpStatusCode.Forbidden)]
    [InlineData("seller", "/v1/tenants/{t}/events", HttpStatusCode.Forbidden)]
    [InlineData("seller", "/v1/tenants/{t}/sellers/seller-2/events", HttpStatusCode.Forbidden)]
    [InlineData("other-tenant", "/v1/tenants/{t}/events", HttpStatusCode.Forbidden)]
    [InlineData("none", "/v1/tenants/{t}/sellers/seller-1/events", HttpStatusCode.Unauthorized)]
    public async Task EventsAreRefusedToWhoMayNotSeeThem(string who, string path, HttpStatusCode expected)
    {
        var tenant = Tokens.FreshTenant();
        var token = who switch
        {
            "ingest" => Tokens.Ingest(tenant),
            "seller" => Tokens.Seller(tenant, "seller-1"),
            "other-tenant" => Tokens.Admin(Tokens.FreshTenant()),
            _ => null,
        };
        using var response = await factory.Client(token).GetAsync(path.Replace("{t}", tenant, StringComparison.Ordinal), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(expected, response.StatusCode);
    }

    private static bool Has(IReadOnlyList<ServerSentEvent> seen, string kind) => seen.Any(e => e.Kind == kind);

    private async Task<string> TenantAsync()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        await (await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/playbook", Playbook)).Expect(HttpStatusCode.OK);
        await (await factory.Client(Tokens.Ingest(tenant)).PutJson($"/v1/tenants/{tenant}/accounts/acc-1", """{"ownerId":"seller-1","lifecycle":"CUSTOMER"}""")).Expect(HttpStatusCode.OK);
        return tenant;
    }

    private Task SignalAsync(string tenant) =>
        factory.Client(Tokens.Ingest(tenant)).PostJson(
            $"/v1/tenants/{tenant}/accounts/acc-1/signals",
            """{"signals":[{"id":"s-1","type":"RENEWAL_WINDOW_OPENED","occurredAt":"2026-01-31T08:00:00Z","value":0.9}]}""").ContinueWith(t => t.Result.Expect(HttpStatusCode.Accepted)).Unwrap();

    /// <summary>Opens a page's stream and reads up to its <c>ready</c> event, so nothing published after it is missed.</summary>
    private async Task<EventStream> OpenAsync(string token, string path, CancellationToken cancellationToken)
    {
        var response = await factory.Client(token).GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var stream = new EventStream(response, await response.Content.ReadAsStreamAsync(cancellationToken));
        await stream.UntilAsync(seen => Has(seen, "ready"), cancellationToken);
        return stream;
    }

    private sealed record ServerSentEvent(string Kind, JsonNode Data);

    private sealed class EventStream(HttpResponseMessage response, Stream body) : IAsyncDisposable
    {
        private readonly StreamReader _reader = new(body);
        private readonly List<ServerSentEvent> _seen = [];

        /// <summary>Reads events until <paramref name="enough"/> holds for all read so far; returns them.</summary>
        public async Task<IReadOnlyList<ServerSentEvent>> UntilAsync(Func<IReadOnlyList<ServerSentEvent>, bool> enough, CancellationToken cancellationToken)
        {
            await foreach (var e in ReadAsync(cancellationToken))
            {
                _seen.Add(e);
                if (enough(_seen)) return [.. _seen];
            }

            throw new Xunit.Sdk.XunitException($"The stream ended after {string.Join(", ", _seen.Select(e => e.Kind))}");
        }

        private async IAsyncEnumerable<ServerSentEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            string? kind = null, data = null;
            while (await _reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    kind = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
                else if (line.Length == 0 && kind is not null)
                {
                    yield return new ServerSentEvent(kind, JsonNode.Parse(data ?? "{}")!);
                    (kind, data) = (null, null);
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

[Collection(GatewayCollection.Name)]
public sealed class LiveEventsTests(GatewayFactory factory) : LiveEventsTestsBase(factory);

[Collection(ClusterGatewayCollection.Name)]
public sealed class LiveEventsTestsInClusterMode(ClusterGatewayFactory factory) : LiveEventsTestsBase(factory);

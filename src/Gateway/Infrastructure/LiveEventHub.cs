using System.Collections.Immutable;
using System.Threading.Channels;
using Autonomy.Live;
using Orleans.Streams;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// The gateway's side of the live events: one stream subscription per tenant (and one to the platform's stream) per
/// gateway process, shared by every open page of that tenant and dropped when the last one leaves. Each page is a
/// <see cref="LiveListener"/> with a bounded buffer; a page too slow to keep up is told to reload instead of being waited for.
/// </summary>
public sealed class LiveEventHub(IClusterClient client, ILogger<LiveEventHub> logger)
{
    /// <summary>The most open pages of one tenant on one gateway; beyond it a page is refused (429).</summary>
    public const int MaxListenersPerTenant = 100;

    /// <summary>The events one page may fall behind by before it is told to reload.</summary>
    public const int ListenerBuffer = 256;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Feed> _feeds = new(StringComparer.Ordinal);

    /// <summary>Opens a page's listener: <paramref name="sellerId"/> set, it sees that seller's and the tenant's events. Null when the tenant has too many.</summary>
    public async Task<LiveListener?> ListenAsync(string tenantId, string? sellerId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_feeds.TryGetValue(tenantId, out var feed))
            {
                feed = new Feed(tenantId);
                feed.Subscriptions = [await SubscribeAsync(tenantId, feed), await SubscribeAsync(LiveEvent.Platform, feed)];
                _feeds[tenantId] = feed;
            }

            if (feed.Listeners.Length >= MaxListenersPerTenant) return null;
            var listener = new LiveListener(this, tenantId, sellerId);
            feed.Listeners = feed.Listeners.Add(listener);
            return listener;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The open pages of <paramref name="tenantId"/> on this gateway.</summary>
    public int ListenerCount(string tenantId) => _feeds.TryGetValue(tenantId, out var feed) ? feed.Listeners.Length : 0;

    internal async Task LeaveAsync(LiveListener listener)
    {
        await _gate.WaitAsync();
        try
        {
            if (!_feeds.TryGetValue(listener.TenantId, out var feed)) return;
            feed.Listeners = feed.Listeners.Remove(listener);
            if (!feed.Listeners.IsEmpty) return;
            _feeds.Remove(listener.TenantId);
            foreach (var subscription in feed.Subscriptions) await UnsubscribeAsync(subscription, listener.TenantId);
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task<StreamSubscriptionHandle<LiveEvent>> SubscribeAsync(string streamTenant, Feed feed) =>
        client.GetStreamProvider(LiveStreams.Provider).GetStream<LiveEvent>(LiveStreams.Of(streamTenant)).SubscribeAsync((e, _) =>
        {
            foreach (var listener in feed.Listeners) listener.Offer(e);
            return Task.CompletedTask;
        });

    private async Task UnsubscribeAsync(StreamSubscriptionHandle<LiveEvent> subscription, string tenantId)
    {
        try
        {
            await subscription.UnsubscribeAsync();
        }
        catch (Exception ex)
        {
            // The cluster drops a subscription whose consumer is gone when it next delivers to it.
            logger.LogWarning(ex, "Live events of {TenantId}: unsubscribing failed", tenantId);
        }
    }

    private sealed class Feed(string tenantId)
    {
        public string TenantId { get; } = tenantId;
        public ImmutableArray<LiveListener> Listeners { get; set; } = [];
        public ImmutableArray<StreamSubscriptionHandle<LiveEvent>> Subscriptions { get; set; } = [];
    }
}

/// <summary>One open page: the events it may see, buffered up to <see cref="LiveEventHub.ListenerBuffer"/>.</summary>
public sealed class LiveListener : IAsyncDisposable
{
    private readonly LiveEventHub _hub;
    private readonly Channel<LiveEvent> _events = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(LiveEventHub.ListenerBuffer)
    {
        // TryWrite on a full channel in Wait mode refuses (the drop modes would report success): the page then reloads.
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    private int _overflowed;

    internal LiveListener(LiveEventHub hub, string tenantId, string? sellerId)
    {
        _hub = hub;
        TenantId = tenantId;
        SellerId = sellerId;
    }

    public string TenantId { get; }

    public string? SellerId { get; }

    public ChannelReader<LiveEvent> Events => _events.Reader;

    /// <summary>Whether events were dropped since the last call (the page must reload); resets it.</summary>
    public bool TakeOverflow() => Interlocked.Exchange(ref _overflowed, 0) == 1;

    internal void Offer(LiveEvent e)
    {
        if (e.VisibleTo(TenantId, SellerId) && !_events.Writer.TryWrite(e)) Interlocked.Exchange(ref _overflowed, 1);
    }

    public ValueTask DisposeAsync() => new(_hub.LeaveAsync(this));
}

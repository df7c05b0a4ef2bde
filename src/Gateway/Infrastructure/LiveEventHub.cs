using System.Collections.Immutable;
using System.Threading.Channels;
using Autonomy.Live;
using Orleans.Streams;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// The gateway's side of the live events: one stream subscription per tenant (and one to the platform's stream) per
/// gateway process, shared by every open page of that tenant and dropped when the last one leaves. Each page is a
/// <see cref="LiveListener"/> with a bounded buffer; a page too slow to keep up is told to reload instead of being waited for.
/// A subscription lives in the cluster (the stream's pub-sub grain), which may drop it without a word (a pulling agent
/// that could not reach this gateway during a silo loss unregisters it): <see cref="RenewAsync"/> checks every
/// subscription, subscribes again where one is gone and tells those pages to reload. It runs every
/// <see cref="CheckEvery"/> and when a silo is lost (<see cref="SiloLost"/>), which also tells every page to reload,
/// then and at the next check, since events queued on the lost silo are gone.
/// </summary>
public sealed class LiveEventHub(IClusterClient client, ILogger<LiveEventHub> logger)
{
    /// <summary>The most open pages of one tenant on one gateway; beyond it a page is refused (429).</summary>
    public const int MaxListenersPerTenant = 100;

    /// <summary>The events one page may fall behind by before it is told to reload.</summary>
    public const int ListenerBuffer = 256;

    /// <summary>How often the subscriptions are checked against the cluster's (two pub-sub calls per tenant with open pages).</summary>
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _renewing = new(1, 1);
    /// <summary>Written under <see cref="_gate"/>; read without it (a silo-loss notification must not wait).</summary>
    private ImmutableDictionary<string, Feed> _feeds = ImmutableDictionary.Create<string, Feed>(StringComparer.Ordinal);
    private int _lostSinceCheck;

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
                _feeds = _feeds.SetItem(tenantId, feed);
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

    /// <summary>
    /// A silo was lost (the cluster client lost a gateway connection): every page is told to reload now and again after the
    /// next check, and the subscriptions are checked now. Never throws, never waits.
    /// </summary>
    public void SiloLost()
    {
        Interlocked.Exchange(ref _lostSinceCheck, 1);
        foreach (var feed in Feeds()) feed.Resync();
        _ = RenewAsync(resyncAll: false, CancellationToken.None).ContinueWith(
            t => logger.LogWarning(t.Exception, "Live events: checking the subscriptions after a silo loss failed"),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>
    /// Checks each subscription against the cluster's; subscribes again where one is gone and tells that tenant's pages to
    /// reload (every page, when a silo was lost since the last check). Returns how many subscriptions were renewed.
    /// </summary>
    public Task<int> RenewAsync(CancellationToken cancellationToken = default) =>
        RenewAsync(Interlocked.Exchange(ref _lostSinceCheck, 0) == 1, cancellationToken);

    private async Task<int> RenewAsync(bool resyncAll, CancellationToken cancellationToken)
    {
        await _renewing.WaitAsync(cancellationToken);
        try
        {
            var renewed = 0;
            foreach (var feed in Feeds())
            {
                var feedRenewed = false;
                for (var i = 0; i < feed.Streams.Length; i++)
                {
                    var handle = feed.Subscriptions[i];
                    if (await IsSubscribedAsync(feed.Streams[i], handle)) continue;
                    var fresh = await SubscribeAsync(feed.Streams[i], feed);
                    if (!await ReplaceAsync(feed, i, handle, fresh))
                    {
                        // The last page left meanwhile.
                        await UnsubscribeAsync(fresh, feed.TenantId);
                        break;
                    }

                    logger.LogWarning("Live events of {TenantId}: the cluster had dropped the subscription to stream {Stream}; subscribed again", feed.TenantId, feed.Streams[i]);
                    await UnsubscribeAsync(handle, feed.TenantId);
                    feedRenewed = true;
                    renewed++;
                }

                if (feedRenewed || resyncAll) feed.Resync();
            }

            return renewed;
        }
        finally
        {
            _renewing.Release();
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
            _feeds = _feeds.Remove(listener.TenantId);
            foreach (var subscription in feed.Subscriptions) await UnsubscribeAsync(subscription, listener.TenantId);
        }
        finally
        {
            _gate.Release();
        }
    }

    private IEnumerable<Feed> Feeds() => Volatile.Read(ref _feeds).Values;

    /// <summary>Puts <paramref name="fresh"/> in place of <paramref name="stale"/>; false when the feed is gone (its last page left).</summary>
    private async Task<bool> ReplaceAsync(Feed feed, int index, StreamSubscriptionHandle<LiveEvent> stale, StreamSubscriptionHandle<LiveEvent> fresh)
    {
        await _gate.WaitAsync();
        try
        {
            if (!_feeds.TryGetValue(feed.TenantId, out var current) || !ReferenceEquals(current, feed) || !ReferenceEquals(feed.Subscriptions[index], stale)) return false;
            feed.Subscriptions = feed.Subscriptions.SetItem(index, fresh);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether the stream's pub-sub still has <paramref name="handle"/>; true when it cannot be asked (the next check asks again).</summary>
    private async Task<bool> IsSubscribedAsync(string streamTenant, StreamSubscriptionHandle<LiveEvent> handle)
    {
        try
        {
            var handles = await client.GetStreamProvider(LiveStreams.Provider).GetStream<LiveEvent>(LiveStreams.Of(streamTenant)).GetAllSubscriptionHandles();
            return handles.Any(h => h.HandleId == handle.HandleId);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Live events: the subscriptions of stream {Stream} could not be checked", streamTenant);
            return true;
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

        /// <summary>The streams subscribed, in the order of <see cref="Subscriptions"/>: the tenant's and the platform's.</summary>
        public ImmutableArray<string> Streams { get; } = [tenantId, LiveEvent.Platform];

        public ImmutableArray<LiveListener> Listeners { get; set; } = [];
        public ImmutableArray<StreamSubscriptionHandle<LiveEvent>> Subscriptions { get; set; } = [];

        public void Resync()
        {
            foreach (var listener in Listeners) listener.Resync();
        }
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

    /// <summary>Whether events were dropped (or may have been) since the last call (the page must reload); resets it.</summary>
    public bool TakeOverflow() => Interlocked.Exchange(ref _overflowed, 0) == 1;

    internal void Offer(LiveEvent e)
    {
        if (e.VisibleTo(TenantId, SellerId) && !_events.Writer.TryWrite(e)) Interlocked.Exchange(ref _overflowed, 1);
    }

    /// <summary>Events may have been lost: the page is told to reload as soon as it reads (woken by <see cref="Wake"/>).</summary>
    internal void Resync()
    {
        Interlocked.Exchange(ref _overflowed, 1);
        _events.Writer.TryWrite(Wake);
    }

    /// <summary>Not an event: wakes a waiting reader so it sees <see cref="TakeOverflow"/> at once.</summary>
    public static readonly LiveEvent Wake = new("wake", "", null, null, null, default);

    public ValueTask DisposeAsync() => new(_hub.LeaveAsync(this));
}

/// <summary>Checks the hub's subscriptions every <see cref="LiveEventHub.CheckEvery"/>.</summary>
internal sealed class LiveSubscriptionCheck(LiveEventHub hub, ILogger<LiveSubscriptionCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(LiveEventHub.CheckEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await hub.RenewAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Live events: checking the subscriptions failed; trying again in {Interval}", LiveEventHub.CheckEvery);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The gateway is stopping.
        }
    }
}

/// <summary>
/// The cluster client's word that it lost a gateway connection (a silo went away, cluster mode): the hub is told. The hub
/// is looked up when it happens, not injected: the client resolves its observers while it is being built.
/// </summary>
internal sealed class LiveSiloLossObserver(IServiceProvider services) : IClusterConnectionStatusObserver
{
    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways) services.GetRequiredService<LiveEventHub>().SiloLost();
    }

    public void NotifyClusterConnectionLost() => services.GetRequiredService<LiveEventHub>().SiloLost();
}

using Autonomy.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.Streams;

namespace Autonomy.Live;

/// <summary>
/// Live events for the control center over Orleans streams: one stream per tenant and one for the platform, on the
/// in-memory stream provider (its queues are grains, so it works across silos in both storage modes), with the
/// subscriptions kept in the durable grain storage so a gateway's subscription outlives a silo. The ledger stays the
/// truth: an event carries no content, a page that reconnects reloads, and publishing never delays or fails the caller.
/// </summary>
public static class LiveStreams
{
    /// <summary>The stream provider's name.</summary>
    public const string Provider = "live";

    /// <summary>The grain storage name Orleans' stream subscriptions use.</summary>
    private const string PubSubStore = "PubSubStore";

    /// <summary>A tenant's stream (every tenant event), or the platform's (<see cref="LiveEvent.Platform"/>).</summary>
    public static StreamId Of(string tenantId) => StreamId.Create("tenant", tenantId);

    /// <summary>Adds the provider to a silo; subscriptions are stored in the "autonomy" grain storage.</summary>
    public static ISiloBuilder AddLiveStreams(this ISiloBuilder silo)
    {
        silo.AddMemoryStreams(Provider);
        silo.Services.AddKeyedSingleton<IGrainStorage>(PubSubStore, (sp, _) => sp.GetRequiredKeyedService<IGrainStorage>(EmbeddedStorage.GrainStorageName));
        return silo;
    }

    /// <summary>Adds the provider to an external client (the gateway in cluster mode).</summary>
    public static IClientBuilder AddLiveStreams(this IClientBuilder client) => client.AddMemoryStreams(Provider);

    /// <summary>
    /// Publishes <paramref name="e"/> on its tenant's stream without waiting for it: a failed or slow publish is logged,
    /// never the caller's failure or delay.
    /// </summary>
    public static void PublishLive(this Grain grain, LiveEvent e, ILogger logger)
    {
        try
        {
            grain.GetStreamProvider(Provider).GetStream<LiveEvent>(Of(e.TenantId)).OnNextAsync(e).ContinueWith(
                t => logger.LogDebug(t.Exception, "Live event {Kind} of {TenantId} not published", e.Kind, e.TenantId),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Live event {Kind} of {TenantId} not published", e.Kind, e.TenantId);
        }
    }
}

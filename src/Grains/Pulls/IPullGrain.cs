using System.Collections.Immutable;
using Autonomy.Perception;
using Orleans.Concurrency;

namespace Autonomy.Pulls;

/// <summary>
/// One account's perception pulls, beside its account grain and keyed like it ("{tenantId}/{accountId}"): the
/// connector calls happen here, so the account's ingest never waits behind one.
/// </summary>
[Alias("autonomy.pulls.IPullGrain")]
public interface IPullGrain : IGrainWithStringKey
{
    /// <summary>Runs the pull that is due now: one connector at most per turn, the next due one in a turn of its own.</summary>
    [Alias("Pull")]
    Task PullAsync();

    /// <summary>Plans the account's pulls again (a tick, fresh data, a tier change) and arms the timer for the earliest due one.</summary>
    [OneWay, Alias("Wake")]
    Task WakeAsync();

    /// <summary>The cadence per enabled connector as the next pull would plan it from <paramref name="basis"/>; answers while a pull is in flight.</summary>
    [AlwaysInterleave, Alias("GetViews")]
    Task<ImmutableArray<PullView>> GetViewsAsync(PullBasis basis);
}

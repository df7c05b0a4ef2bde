using Autonomy.Common;
using Autonomy.Hosting;
using Autonomy.Perception;
using Microsoft.Extensions.DependencyInjection;

namespace Autonomy.Connectors;

/// <summary>The pull throttle of one tenant's connector, counted here and nowhere else (never per silo). Key: "{tenantId}/{connector}".</summary>
[Alias("autonomy.pulls.IConnectorThrottleGrain")]
public interface IConnectorThrottleGrain : IGrainWithStringKey
{
    /// <summary>Takes one token for a pull under <paramref name="throttle"/>; refused with the time a token will be there.</summary>
    [Alias("pulls.Take")]
    Task<ThrottleDecision> TakeAsync(Throttle throttle);
}

/// <summary>
/// A token bucket per tenant and connector (<see cref="TokenBucket"/>), stored on every grant so a new activation (a
/// lost silo) continues from what was granted instead of starting full. Calls are serialized by the grain, so
/// concurrent pulls from any number of accounts and silos never take more than the bucket holds.
/// </summary>
[GrainType("autonomy.pulls.connector-throttle")]
public sealed class ConnectorThrottleGrain(
    [PersistentState("throttle", "autonomy")] IPersistentState<TokenBucket> state,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time) : Grain, IConnectorThrottleGrain
{
    public async Task<ThrottleDecision> TakeAsync(Throttle throttle)
    {
        var now = time.GetUtcNow();
        var stored = state.State;
        var (bucket, decision) = (state.RecordExists && stored is not null ? stored : TokenBucket.Full(throttle, now)).Take(throttle, now);
        if (decision.Granted)
        {
            await state.ReplaceAsync(bucket);
        }

        return decision;
    }
}

/// <summary>A tenant's daily pull budget, counted here and nowhere else (never per silo). Key: the tenant id.</summary>
[Alias("autonomy.pulls.IPullCounterGrain")]
public interface IPullCounterGrain : IGrainWithStringKey
{
    /// <summary>Reserves one pull out of <paramref name="perDay"/> for today (UTC).</summary>
    [Alias("pulls.Reserve")]
    Task<QuotaReservation> ReserveAsync(long perDay);

    /// <summary>How many pulls were reserved today (UTC).</summary>
    [Alias("pulls.UsedToday"), Orleans.Concurrency.ReadOnly]
    Task<long> GetUsedTodayAsync();
}

[GrainType("autonomy.pulls.pull-counter")]
public sealed class PullCounterGrain(
    [PersistentState("pulls", "autonomy")] IPersistentState<DailyQuota> state,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time) : Grain, IPullCounterGrain
{
    public async Task<QuotaReservation> ReserveAsync(long perDay)
    {
        var stored = state.State;
        var (quota, reservation) = (stored ?? DailyQuota.Empty).Reserve(perDay, 1, time.GetUtcNow());
        if (reservation.Granted)
        {
            await state.ReplaceAsync(quota);
        }

        return reservation;
    }

    public Task<long> GetUsedTodayAsync() => Task.FromResult((state.State ?? DailyQuota.Empty).UsedAt(time.GetUtcNow()));
}

using Autonomy.Common;
using Autonomy.CostGate;
using Autonomy.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;

namespace Autonomy.Tenants;

/// <summary>A tenant's daily decision-run counter, counted here and nowhere else (never per silo). Key: the tenant id.</summary>
[Alias("autonomy.IRunCounterGrain")]
public interface IRunCounterGrain : IGrainWithStringKey
{
    /// <summary>Reserves one decision run out of <paramref name="perDay"/> for today (UTC).</summary>
    [Alias("Reserve")]
    Task<RunBudgetReservation> ReserveAsync(long perDay);

    /// <summary>How many runs were reserved today (UTC).</summary>
    [Alias("UsedToday"), ReadOnly]
    Task<long> GetUsedTodayAsync();
}

/// <summary>
/// The tenant-wide run counter, in a grain of its own so that every decision run of every account does not queue
/// behind the tenant grain (which serves configuration and kill switches on the hot path).
/// </summary>
[GrainType("autonomy.run-counter")]
public sealed class RunCounterGrain(
    [PersistentState("runs", "autonomy")] IPersistentState<RunBudgetCounter> state,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time) : Grain, IRunCounterGrain
{
    public async Task<RunBudgetReservation> ReserveAsync(long perDay)
    {
        var stored = state.State;
        var (counter, reservation) = (stored ?? new RunBudgetCounter(default, 0)).Reserve(perDay, time.GetUtcNow());
        if (reservation.Granted)
        {
            await state.ReplaceAsync(counter);
        }

        return reservation;
    }

    public Task<long> GetUsedTodayAsync()
    {
        var s = state.State;
        return Task.FromResult(s is not null && s.Day == DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime) ? s.Used : 0);
    }
}

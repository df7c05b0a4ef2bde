using Autonomy.Common;
using Autonomy.CostGate;
using Autonomy.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;

namespace Autonomy.Tenants;

/// <summary>A tenant's daily engine-token counter, counted here and nowhere else (never per silo). Key: the tenant id.</summary>
[Alias("autonomy.gate.ITokenBudgetGrain")]
public interface ITokenBudgetGrain : IGrainWithStringKey
{
    /// <summary>Reserves <paramref name="tokens"/> out of <paramref name="perDay"/> for today (UTC) under <paramref name="reservationId"/>.</summary>
    [Alias("Reserve")]
    Task<TokenReservation> ReserveAsync(string reservationId, long tokens, long perDay);

    /// <summary>Replaces the reservation by what the call really used; unknown ids change nothing.</summary>
    [Alias("Settle")]
    Task<TokenSettlement> SettleAsync(string reservationId, long actualTokens, long perDay);

    /// <summary>Tokens used or reserved today (UTC).</summary>
    [Alias("UsedToday"), ReadOnly]
    Task<long> GetUsedTodayAsync();
}

/// <summary>
/// The tenant-wide token counter (<see cref="TokenBudgetCounter"/>), a grain of its own like <see cref="RunCounterGrain"/>:
/// one activation in the cluster, so reservations from every silo queue here and a budget is never overshot.
/// Every change is stored before it is answered.
/// </summary>
[GrainType("autonomy.gate.token-budget")]
public sealed class TokenBudgetGrain(
    [PersistentState("tokens", "autonomy")] IPersistentState<TokenBudgetCounter> state,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time) : Grain, ITokenBudgetGrain
{
    private TokenBudgetCounter Current => state.State ?? TokenBudgetCounter.Empty;

    public async Task<TokenReservation> ReserveAsync(string reservationId, long tokens, long perDay)
    {
        var (counter, reservation) = Current.Reserve(reservationId, tokens, perDay, time.GetUtcNow());
        if (reservation.Granted && counter != state.State)
        {
            await WriteAsync(counter);
        }

        return reservation;
    }

    public async Task<TokenSettlement> SettleAsync(string reservationId, long actualTokens, long perDay)
    {
        var (counter, settlement) = Current.Settle(reservationId, actualTokens, time.GetUtcNow(), perDay);
        if (settlement.Applied)
        {
            await WriteAsync(counter);
        }

        return settlement;
    }

    public Task<long> GetUsedTodayAsync() => Task.FromResult(Current.UsedOn(time.GetUtcNow()));

    private Task WriteAsync(TokenBudgetCounter next) => state.ReplaceAsync(next);
}

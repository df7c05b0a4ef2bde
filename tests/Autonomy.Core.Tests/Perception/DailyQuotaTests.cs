using Autonomy.Perception;
using CsCheck;

namespace Autonomy.Tests.Perception;

public class DailyQuotaTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 20, 0, 0, TimeSpan.Zero);

    /// <summary>Requests minutes apart (sometimes across midnight), each with an amount and the limit in force then.</summary>
    private static readonly Gen<List<(int Minutes, int Amount, int Limit)>> Requests =
        Gen.Select(Gen.Frequency((5, Gen.Int[0, 30]), (1, Gen.Int[0, 26 * 60])), Gen.Frequency((4, Gen.Const(1)), (1, Gen.Int[0, 50])), Gen.Frequency((4, Gen.Const(20)), (1, Gen.Int[0, 60]))).List[0, 200];

    [Fact]
    public void NothingIsGrantedBeyondTheLimitInForceAndUseRollsOverAtMidnight() =>
        Requests.Sample(requests =>
        {
            var quota = DailyQuota.Empty;
            var now = Start;
            var grantedToday = 0L;
            var day = DailyQuota.DayOf(now);
            foreach (var (minutes, amount, limit) in requests)
            {
                now = now.AddMinutes(minutes);
                if (DailyQuota.DayOf(now) != day)
                {
                    day = DailyQuota.DayOf(now);
                    grantedToday = 0;
                }

                var usedBefore = quota.UsedAt(now);
                Assert.Equal(grantedToday, usedBefore);
                (quota, var r) = quota.Reserve(limit, amount, now);
                Assert.Equal(amount <= limit - usedBefore, r.Granted);
                if (r.Granted)
                {
                    grantedToday += amount;
                    Assert.True(grantedToday <= limit, $"{grantedToday} used of {limit}");
                }

                Assert.Equal(grantedToday, r.UsedToday);
                Assert.Equal(limit, r.PerDay);
                Assert.Equal(DailyQuota.NextMidnight(now), r.ResetsAt);
                Assert.True(r.ResetsAt > now && r.ResetsAt - now <= TimeSpan.FromDays(1));
            }
        }, iter: 5_000);

    [Fact]
    public void ANewBudgetAppliesMidDay()
    {
        var quota = DailyQuota.Empty;
        for (var i = 0; i < 3; i++)
        {
            (quota, _) = quota.Reserve(3, 1, Start);
        }

        Assert.False(quota.Reserve(3, 1, Start).Reservation.Granted);
        Assert.True(quota.Reserve(4, 1, Start).Reservation.Granted, "a raised budget grants more at once");
        Assert.False(quota.Reserve(2, 1, Start).Reservation.Granted, "a lowered budget below the use grants nothing more today");
        Assert.True(quota.Reserve(2, 1, Start.AddDays(1)).Reservation.Granted, "tomorrow it applies from zero");
    }

    [Fact]
    public void UseRollsOverExactlyAtMidnightUtc()
    {
        var midnight = DailyQuota.NextMidnight(Start);
        var (quota, _) = DailyQuota.Empty.Reserve(1, 1, midnight.AddTicks(-1));

        Assert.False(quota.Reserve(1, 1, midnight.AddTicks(-1)).Reservation.Granted);
        var (next, r) = quota.Reserve(1, 1, midnight);
        Assert.True(r.Granted);
        Assert.Equal(1, r.UsedToday);
        Assert.Equal(DailyQuota.DayOf(midnight), next.Day);
        Assert.Equal(0, next.UsedAt(midnight.AddDays(1)));
    }

    [Fact]
    public void ReleaseGivesBackOnlyTheSameDaysUnspentPart() =>
        Gen.Select(Gen.Int[0, 100], Gen.Int[0, 100], Gen.Bool).Sample((reserve, spent, sameDay) =>
        {
            var (quota, r) = DailyQuota.Empty.Reserve(100, reserve, Start);
            Assert.True(r.Granted);
            var unspent = Math.Max(0, reserve - spent);
            var later = sameDay ? Start.AddMinutes(10) : DailyQuota.NextMidnight(Start).AddMinutes(1);
            var (current, _) = quota.Reserve(100, 0, later);
            var released = current.Release(unspent, DailyQuota.DayOf(Start));

            Assert.Equal(sameDay ? reserve - unspent : 0, released.UsedAt(later));
            Assert.True(released.UsedAt(later) >= 0);
        }, iter: 2_000);
}

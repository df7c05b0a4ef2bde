using Autonomy.Sellers;

namespace Autonomy.Tests.Sellers;

public sealed class DigestScheduleTests
{
    private static readonly DigestSettings Berlin = new(true, new TimeOnly(7, 0), "Europe/Berlin", null);

    [Fact]
    public void TheDigestIsDueAtDeliverAtLocalTimeOncePerLocalDay()
    {
        // 07:00 in Berlin is 06:00 UTC in winter.
        var before = new DateTimeOffset(2026, 12, 1, 5, 59, 0, TimeSpan.Zero);
        var at = new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);

        Assert.Null(DigestSchedule.Due(Berlin, null, before));
        Assert.Equal(new DateOnly(2026, 12, 1), DigestSchedule.Due(Berlin, null, at));
        Assert.Null(DigestSchedule.Due(Berlin, new DateOnly(2026, 12, 1), at.AddHours(1)));
    }

    [Fact]
    public void ADigestMissedBeyondTheCatchUpWindowIsNotSentLate()
    {
        var late = new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero) + DigestSchedule.CatchUp + TimeSpan.FromMinutes(1);

        Assert.Null(DigestSchedule.Due(Berlin, null, late));
    }

    [Fact]
    public void ASwitchedOffDigestIsNeverDue() =>
        Assert.Null(DigestSchedule.Due(Berlin with { Enabled = false }, null, new DateTimeOffset(2026, 12, 1, 6, 30, 0, TimeSpan.Zero)));

    [Fact]
    public void LocalDatesFollowTheSellersTimeZone() =>
        Assert.Equal(new DateOnly(2026, 12, 2), DigestSchedule.LocalDate(Berlin, new DateTimeOffset(2026, 12, 1, 23, 30, 0, TimeSpan.Zero)));
}

using Autonomy.CostGate;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.CostGate;

/// <summary>
/// A ritual is worth its full value only when something is new since the last run (the window holds signals), the
/// account never ran, or the ritual is the renewal runway; on a quiet account its value grows back over its horizon.
/// </summary>
public class RitualNoveltyTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 3, 8, 0, 0, TimeSpan.Zero);

    private static readonly string[] Rituals = [TriggerRegistry.DailyBrief, TriggerRegistry.WeeklyReview, TriggerRegistry.RenewalRunway, "TENANT_RITUAL"];

    private static readonly Gen<string> Ritual = Gen.Int[0, 3].Select(i => Rituals[i]);

    private static readonly Gen<TimeSpan?> Since = Gen.Long[-3_600, 30L * 24 * 3_600].Select(s => TimeSpan.FromSeconds(s)).Nullable(0.15);

    private static TriggerWindow Tick(string ritual) =>
        TriggerWindow.Scheduled(new SignalRef($"{ritual}-1", ritual, Now, MarginalValue.RitualValue(ritual)), Now);

    [Fact]
    public void NoveltyIsAShareNeverNaNAndNeverFallsWithTimeOrWithSomethingNew() =>
        Gen.Select(Ritual, Gen.Bool, Since, Gen.Double[0, 240]).Sample((ritual, somethingNew, since, moreHours) =>
        {
            var n = MarginalValue.Novelty(ritual, somethingNew, since);
            Assert.InRange(n, 0, 1);
            Assert.True(MarginalValue.Novelty(ritual, true, since) >= n, "something new never lowers it");
            var later = since is { } d ? d + TimeSpan.FromHours(moreHours) : (TimeSpan?)null;
            Assert.True(MarginalValue.Novelty(ritual, somethingNew, later) >= n - 1e-12, "more time since the last run never lowers it");
        }, iter: 5_000);

    [Fact]
    public void AQuietDailyBriefADayAfterARunIsWorthLittleAQuietWeeklyReviewAfterAWeekNearlyAllAndTheRunwayAlways()
    {
        var day = TimeSpan.FromDays(1);
        Assert.InRange(MarginalValue.Novelty(TriggerRegistry.DailyBrief, false, day), 0.09, 0.1);
        Assert.Equal(0.5, MarginalValue.Novelty(TriggerRegistry.DailyBrief, false, TimeSpan.FromDays(7)), 9);
        Assert.True(MarginalValue.Novelty(TriggerRegistry.WeeklyReview, false, TimeSpan.FromDays(7)) > 0.99);
        Assert.Equal(1, MarginalValue.Novelty(TriggerRegistry.RenewalRunway, false, TimeSpan.FromMinutes(1)));
        Assert.Equal(1, MarginalValue.Novelty(TriggerRegistry.DailyBrief, true, day));
        Assert.Equal(1, MarginalValue.Novelty(TriggerRegistry.DailyBrief, false, null));

        // With the default threshold: a quiet brief is skipped, and so is the same brief with one parked visit (0.2 is
        // news for 0.4 of the brief); with a usage change or two visits parked it runs; the review of a quiet week runs.
        var threshold = GateThresholds.Default.MinMarginalValue;
        var lastRun = Now - day;
        Assert.True(MarginalValue.Of(Tick(TriggerRegistry.DailyBrief), 0, lastRun, Now).Value < threshold);
        var withVisit = Tick(TriggerRegistry.DailyBrief).Absorb(TriggerWindow.Open(new SignalRef("v", "WEBSITE_VISIT", Now, 0.2), TimeSpan.Zero, TimeSpan.Zero, Now));
        Assert.True(MarginalValue.Of(withVisit, 0, lastRun, Now).Value < threshold);
        Assert.Equal(0.4, MarginalValue.Of(withVisit, 0, lastRun, Now).Novelty, 9);
        var withTwoVisits = withVisit.Join(new SignalRef("v2", "WEBSITE_VISIT", Now, 0.2));
        Assert.True(MarginalValue.Of(withTwoVisits, 0, lastRun, Now).Value >= threshold);
        var withUsage = Tick(TriggerRegistry.DailyBrief).Absorb(TriggerWindow.Open(new SignalRef("u", "USAGE_SPIKE", Now, 0.5), TimeSpan.Zero, TimeSpan.Zero, Now));
        Assert.True(MarginalValue.Of(withUsage, 0, lastRun, Now).Value >= threshold);
        Assert.True(MarginalValue.Of(Tick(TriggerRegistry.WeeklyReview), 0, Now - TimeSpan.FromDays(7), Now).Value >= threshold);
        Assert.True(MarginalValue.Of(Tick(TriggerRegistry.RenewalRunway), 0, Now - TimeSpan.FromHours(12), Now).Value >= threshold);
    }

    [Fact]
    public void AWindowsValueIsTheFormulaWithEachRitualWeightedByItsNovelty() =>
        Gen.Select(Gen.Int[0, 2].Select(i => Rituals[i]), Gen.Double[0, 1].Array[0, 5], Gen.Double[0, 10], Since).Sample((ritual, values, heat, since) =>
        {
            var window = Tick(ritual);
            for (var i = 0; i < values.Length; i++)
            {
                window = window.Join(new SignalRef($"s-{i}", "WEBSITE_VISIT", Now, values[i]));
            }

            var lastRun = since is { } d ? Now - d : (DateTimeOffset?)null;
            var terms = MarginalValue.Of(window, heat, lastRun, Now);
            var novelty = MarginalValue.Novelty(ritual, values.Sum(), since);
            var expected = values.Sum() + (((MarginalValue.RitualValue(ritual) * novelty) + Math.Min(0.1 * heat, 0.3)) * MarginalValue.Staleness(since));
            Assert.Equal(expected, terms.Value, 9);
            Assert.Equal(novelty, terms.Novelty, 9);
            Assert.True(double.IsFinite(terms.Value) && terms.Value >= 0);
        }, iter: 3_000);

    [Fact]
    public void ALoneLowValueSignalDoesNotBuyARunAtTheDefaultThresholdHoweverHotTheAccountAndAHighValueOneDoes() =>
        Gen.Select(Gen.Double[0, 1_000], Since).Sample((heat, since) =>
        {
            var threshold = GateThresholds.Default.MinMarginalValue;
            var lastRun = since is { } d ? Now - d : (DateTimeOffset?)null;
            var visit = TriggerWindow.Open(new SignalRef("v", "WEBSITE_VISIT", Now, 0.2), TimeSpan.Zero, TimeSpan.Zero, Now);
            var reply = TriggerWindow.Open(new SignalRef("r", "EMAIL_REPLY_RECEIVED", Now, 0.7), TimeSpan.Zero, TimeSpan.Zero, Now);
            Assert.True(MarginalValue.Of(visit, heat, lastRun, Now).Value < threshold, "heat adds at most 0.3");
            Assert.True(MarginalValue.Of(reply, heat, lastRun, Now).Value >= threshold);
        }, iter: 2_000);
}

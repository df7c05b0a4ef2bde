using Autonomy.CostGate;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.CostGate;

/// <summary>value = signals + (ritual + min(0.1 × heat, 0.3)) × (1 − 2^(−sinceLastRun / 1 h)), never NaN, never negative.</summary>
public class MarginalValueFormulaTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly Gen<double> Any = Gen.OneOf<double>(Gen.Double[-2, 20], Gen.OneOf(double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0));
    private static readonly Gen<double> Good = Gen.Double[0, 20];
    private static readonly Gen<TimeSpan?> Since = Gen.Int[-3_600, 7 * 24 * 3_600].Select(s => TimeSpan.FromSeconds(s)).Nullable(0.2);

    [Fact]
    public void TheValueIsTheFormulaAndNeverNaNOrNegative() =>
        Gen.Select(Any, Any, Any, Since).Sample((signals, ritual, heat, since) =>
        {
            var terms = MarginalValue.Terms(signals, ritual, heat, since);
            static double Clean(double v) => double.IsFinite(v) && v > 0 ? v : 0;
            var staleness = since is null ? 1 : since <= TimeSpan.Zero ? 0 : 1 - Math.Pow(2, -since.Value.TotalHours);
            Assert.Equal(Clean(signals) + ((Clean(ritual) + Math.Min(0.1 * Clean(heat), 0.3)) * staleness), terms.Value, 9);
            Assert.True(double.IsFinite(terms.Value) && terms.Value >= 0);
            Assert.True(terms.Value >= terms.Signals, "new signals always count in full");
        }, iter: 5_000);

    [Fact]
    public void MoreSignalValueMoreHeatMoreRitualOrMoreTimeNeverLowerTheValue() =>
        Gen.Select(Good, Good, Good, Since, Gen.Double[0, 5], Gen.Int[0, 3]).Sample((signals, ritual, heat, since, more, which) =>
        {
            var before = MarginalValue.Terms(signals, ritual, heat, since).Value;
            var after = which switch
            {
                0 => MarginalValue.Terms(signals + more, ritual, heat, since).Value,
                1 => MarginalValue.Terms(signals, ritual + more, heat, since).Value,
                2 => MarginalValue.Terms(signals, ritual, heat + more, since).Value,
                _ => MarginalValue.Terms(signals, ritual, heat, since is { } d ? d + TimeSpan.FromHours(more) : null).Value,
            };
            Assert.True(after >= before - 1e-12, $"{after} < {before}");
        }, iter: 5_000);

    [Fact]
    public void LookingAgainIsWorthHalfAnHourAfterARunAndAlmostAllAfterADay()
    {
        Assert.Equal(0, MarginalValue.Staleness(TimeSpan.Zero));
        Assert.Equal(0.5, MarginalValue.Staleness(TimeSpan.FromHours(1)), 9);
        Assert.Equal(0.75, MarginalValue.Staleness(TimeSpan.FromHours(2)), 9);
        Assert.True(MarginalValue.Staleness(TimeSpan.FromDays(1)) > 0.999);
        Assert.Equal(1, MarginalValue.Staleness(null));
    }

    [Theory]
    [InlineData(TriggerRegistry.DailyBrief, 0.5)]
    [InlineData(TriggerRegistry.WeeklyReview, 0.8)]
    [InlineData(TriggerRegistry.RenewalRunway, 1.0)]
    public void EachRitualHasItsOwnValue(string ritual, double value) => Assert.Equal(value, MarginalValue.RitualValue(ritual));

    [Fact]
    public void AWindowSplitsIntoRitualTicksAndSignals()
    {
        var tick = TriggerWindow.Scheduled(new SignalRef("brief-1", TriggerRegistry.DailyBrief, Now, MarginalValue.RitualValue(TriggerRegistry.DailyBrief)), Now);
        var window = tick.Merge(TriggerWindow.Open(new SignalRef("s-1", "WEBSITE_VISIT", Now, 0.3), TimeSpan.Zero, TimeSpan.Zero, Now).Join(new SignalRef("s-2", "EMAIL_REPLY", Now, 0.6)));

        var terms = MarginalValue.Of(window, heat: 2.0, lastRunAt: Now - TimeSpan.FromHours(1), now: Now);

        Assert.Equal(0.9, terms.Signals, 9);
        Assert.Equal(0.5, terms.Ritual, 9);
        Assert.Equal(0.5, terms.Staleness, 9);
        Assert.Equal(0.9 + ((0.5 + 0.2) * 0.5), terms.Value, 9);
    }

    [Fact]
    public void SignalsOnlyCountedBeyondTheKeptOnesStillAddTheirValue()
    {
        var window = TriggerWindow.Open(new SignalRef("s-0", "WEBSITE_VISIT", Now, 0.5), TimeSpan.Zero, TimeSpan.Zero, Now);
        for (var i = 1; i < TriggerWindow.MaxSignals + 10; i++)
        {
            window = window.Join(new SignalRef($"s-{i}", "WEBSITE_VISIT", Now, 0.5));
        }

        Assert.Equal(TriggerWindow.MaxSignals, window.Signals.Length);
        Assert.Equal(0.5 * (TriggerWindow.MaxSignals + 10), MarginalValue.Of(window, 0, null, Now).Signals, 9);
    }
}

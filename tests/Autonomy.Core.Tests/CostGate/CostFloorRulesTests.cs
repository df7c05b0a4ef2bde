using Autonomy.CostGate;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.CostGate;

/// <summary>
/// The rules that keep engine calls near the floor (one run per 15-minute span of high-value signals): heat adds only
/// to a ritual's run, a ritual is worth as much of its value as there is news for it, and the default thresholds run
/// every lone high-value signal at once, park every lone low-value one, and defer a run asked for just after another
/// to within the 15-minute deadline.
/// </summary>
public class CostFloorRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 3, 8, 0, 0, TimeSpan.Zero);

    private static readonly string[] Rituals = [TriggerRegistry.DailyBrief, TriggerRegistry.WeeklyReview, TriggerRegistry.RenewalRunway, "TENANT_RITUAL"];

    private static readonly Gen<TimeSpan?> Since = Gen.Long[-3_600, 30L * 24 * 3_600].Select(s => TimeSpan.FromSeconds(s)).Nullable(0.15);

    private static TriggerWindow Signals(double[] values)
    {
        var window = TriggerWindow.Open(new SignalRef("s-0", "WEBSITE_VISIT", Now, values[0]), TimeSpan.Zero, TimeSpan.Zero, Now);
        for (var i = 1; i < values.Length; i++)
        {
            window = window.Join(new SignalRef($"s-{i}", "USAGE_SPIKE", Now, values[i]));
        }

        return window;
    }

    [Fact]
    public void HeatAddsNothingToARunOfSignalsAloneButStillToARitualsRun() =>
        Gen.Select(Gen.Double[0, 1].Array[1, 6], Gen.Double[0, 1_000], Since).Sample((values, heat, since) =>
        {
            var lastRun = since is { } d ? Now - d : (DateTimeOffset?)null;
            var window = Signals(values);
            var terms = MarginalValue.Of(window, heat, lastRun, Now);
            Assert.Equal(values.Sum(), terms.Value, 1e-9);
            Assert.Equal(MarginalValue.Of(window, 0, lastRun, Now).Value, terms.Value, 1e-12);
            Assert.Equal(heat, terms.Heat, 1e-9);

            var brief = TriggerWindow.Scheduled(new SignalRef("b", TriggerRegistry.DailyBrief, Now, 0.5), Now).Absorb(window);
            var staleness = MarginalValue.Staleness(since);
            Assert.Equal(Math.Min(0.1 * heat, 0.3) * staleness, MarginalValue.Of(brief, heat, lastRun, Now).Value - MarginalValue.Of(brief, 0, lastRun, Now).Value, 1e-9);
        }, iter: 3_000);

    [Fact]
    public void ARitualsNoveltyGrowsWithTheNewsAndIsWholeOnceTheNewsIsWorthTheRitual() =>
        Gen.Select(Gen.Int[0, 3].Select(i => Rituals[i]), Gen.Double[0, 3], Gen.Double[0, 3], Since).Sample((ritual, news, more, since) =>
        {
            var n = MarginalValue.Novelty(ritual, news, since);
            Assert.InRange(n, 0, 1);
            Assert.True(MarginalValue.Novelty(ritual, news + more, since) >= n, "more news never lowers it");
            Assert.True(n >= MarginalValue.Novelty(ritual, 0, since), "news never lowers what a quiet account grew back");
            Assert.True(MarginalValue.Novelty(ritual, true, since) >= n, "news worth the ritual in full is the most");
            if (news >= MarginalValue.RitualValue(ritual) || since is null)
            {
                Assert.Equal(1, n);
            }
            else if (MarginalValue.QuietHorizon(ritual) > TimeSpan.Zero)
            {
                Assert.Equal(Math.Max(news / MarginalValue.RitualValue(ritual), MarginalValue.Novelty(ritual, false, since)), n, 12);
            }
        }, iter: 5_000);

    [Fact]
    public void AtTheDefaultThresholdALoneHighValueSignalAlwaysRunsAndALoneLowValueOneNeverDoes() =>
        Gen.Select(Gen.Double[0.7, 1], Gen.Double[0, 0.69], Gen.Double[0, 1_000], Since).Sample((high, low, heat, since) =>
        {
            var threshold = GateThresholds.Default.MinMarginalValue;
            var lastRun = since is { } d ? Now - d : (DateTimeOffset?)null;
            Assert.True(MarginalValue.Of(Signals([high]), heat, lastRun, Now).Value >= threshold);
            Assert.True(MarginalValue.Of(Signals([low]), heat, lastRun, Now).Value < threshold, "heat never tips a lone low-value signal over");
        }, iter: 3_000);

    [Fact]
    public void ARunAskedForJustAfterAnotherIsDeferredToWithinTheFifteenMinuteDeadline() =>
        Gen.Long[0, 24 * 3_600].Sample(secondsAfterLastRun =>
        {
            var lastRun = Now - TimeSpan.FromSeconds(secondsAfterLastRun);
            var gate = DecisionCostGate.EvaluateLocal(new GateInput(1, 0, lastRun, TimeSpan.Zero, "a", "b", Now).With(GateThresholds.Default));
            if (gate.Verdict == GateVerdict.Defer)
            {
                Assert.Equal(GateReason.AccountCooldown, gate.Reason);
                Assert.True(gate.RetryAt!.Value - Now < TimeSpan.FromMinutes(15), $"deferred {gate.RetryAt - Now}");
            }
            else
            {
                Assert.True(Now - lastRun >= GateThresholds.Default.MinRunInterval);
            }
        }, iter: 2_000);

    [Fact]
    public void TheDefaultsAreAFourteenMinuteIntervalAndAThresholdOfSeventenths()
    {
        Assert.Equal(TimeSpan.FromMinutes(14), GateThresholds.Default.MinRunInterval);
        Assert.Equal(0.7, GateThresholds.Default.MinMarginalValue);
    }

    [Fact]
    public void LowValueSignalsWaitAnHourForARunToJoinAndAHighValueOneClosesTheirWindowAtOnce()
    {
        var registry = TriggerRegistry.Default;
        var visit = DecisionTrigger.OnSignal(registry, TriggerState.Empty, new SignalRef("v", "WEBSITE_VISIT", Now, 0.2), Now);
        Assert.Equal(Now + TimeSpan.FromHours(1), visit.DueAt);
        var usage = DecisionTrigger.OnSignal(registry, visit.State, new SignalRef("u", "USAGE_DROPPED", Now.AddMinutes(20), 0.6), Now.AddMinutes(20));
        Assert.Equal(Now + TimeSpan.FromHours(1), usage.DueAt);

        // A reply 50 minutes after the visit: the reply's maximum wait (5 minutes from the window's opening) has passed, so
        // the window is due at once, with the visit and usage change in it.
        var at = Now.AddMinutes(50);
        var reply = DecisionTrigger.OnSignal(registry, usage.State, new SignalRef("r", "EMAIL_REPLY_RECEIVED", at, 0.8), at);
        Assert.True(reply.DueAt <= at, $"due {reply.DueAt}");
        Assert.Equal(3, reply.State.Window!.SignalCount);
    }
}

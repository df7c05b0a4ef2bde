using Autonomy.CostGate;
using CsCheck;

namespace Autonomy.Tests.CostGate;

public class DecisionCostGateTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly Gen<double> Value = Gen.OneOf<double>(Gen.Double[-1, 2], Gen.OneOf(double.NaN, 0.0, 0.5, 1.0));

    private static readonly Gen<GateInput> Input = Gen.Select(
        Value,
        Value,
        Gen.Int[-7_200, 7_200].Select(s => Now.AddSeconds(-s)).Nullable(0.2),
        Gen.Int[0, 3_600].Select(s => TimeSpan.FromSeconds(s)),
        Gen.Int[0, 3].Select(i => $"sha256:{i}"),
        Gen.Int[0, 3].Select(i => $"sha256:{i}").Null(0.2),
        (value, min, last, interval, digest, lastDigest) => new GateInput(value, min, last, interval, digest, lastDigest, Now));

    private static readonly Gen<RunBudgetReservation> Reservation =
        Gen.Select(Gen.Bool, Gen.Int[0, 20], Gen.Int[0, 20], (granted, used, perDay) => new RunBudgetReservation(granted, used, perDay, Now.AddHours(12)));

    [Fact]
    public void DuplicateInputsAreSkipped() =>
        Input.Select(i => i with { LastRunInputsDigest = i.InputsDigest }).Sample(input =>
        {
            var result = DecisionCostGate.EvaluateLocal(input);
            Assert.Equal((GateVerdict.Skip, GateReason.DuplicateInputs, (DateTimeOffset?)null), (result.Verdict, result.Reason, result.RetryAt));
        });

    [Fact]
    public void RunWithinTheMinimumIntervalIsDeferredUntilTheIntervalEnds() =>
        Gen.Select(Input, Gen.Int[1, 3_600], Gen.Double.Unit).Sample((input, intervalSeconds, fraction) =>
        {
            var interval = TimeSpan.FromSeconds(intervalSeconds);
            var last = Now - (interval * fraction);
            var result = DecisionCostGate.EvaluateLocal(input with { LastRunAt = last, MinRunInterval = interval, LastRunInputsDigest = "sha256:other" });

            Assert.Equal(GateVerdict.Defer, result.Verdict);
            Assert.Equal(GateReason.AccountCooldown, result.Reason);
            Assert.Equal(last + interval, result.RetryAt);
            Assert.True(result.RetryAt > Now);
        });

    [Fact]
    public void EveryVerdictFollowsTheRulesInOrder() =>
        Input.Sample(input =>
        {
            var result = DecisionCostGate.EvaluateLocal(input);
            var duplicate = input.LastRunInputsDigest == input.InputsDigest;
            var coolingDown = input.LastRunAt is { } last && Now < last + input.MinRunInterval;
            var (verdict, reason) = duplicate ? (GateVerdict.Skip, GateReason.DuplicateInputs)
                : coolingDown ? (GateVerdict.Defer, GateReason.AccountCooldown)
                : !(input.MarginalValue >= input.MinMarginalValue) ? (GateVerdict.Skip, GateReason.LowMarginalValue)
                : (GateVerdict.Allow, GateReason.WorthRunning);

            Assert.Equal((verdict, reason), (result.Verdict, result.Reason));
            Assert.Equal(result.Verdict == GateVerdict.Defer, result.RetryAt is not null);
            Assert.True(result.RetryAt is null || result.RetryAt > Now);
            Assert.False(string.IsNullOrWhiteSpace(result.Explanation));
        }, iter: 10_000);

    [Fact]
    public void LowOrUnknownMarginalValueIsSkipped() =>
        Gen.Select(Input, Gen.OneOf<double>(Gen.Double[-1, 0.49], Gen.Const(double.NaN))).Sample((input, value) =>
        {
            var result = DecisionCostGate.EvaluateLocal(input with { MarginalValue = value, MinMarginalValue = 0.5, LastRunAt = null, LastRunInputsDigest = null });
            Assert.Equal((GateVerdict.Skip, GateReason.LowMarginalValue), (result.Verdict, result.Reason));
        });

    [Fact]
    public void BudgetRefusalOnlyTurnsAllowIntoDeferUntilTheBudgetRefills() =>
        Gen.Select(Input, Reservation).Sample((input, reservation) =>
        {
            var local = DecisionCostGate.EvaluateLocal(input);
            var result = DecisionCostGate.WithBudget(local, reservation);

            if (local.Verdict == GateVerdict.Allow && !reservation.Granted)
            {
                Assert.Equal((GateVerdict.Defer, GateReason.RunBudgetExhausted, (DateTimeOffset?)reservation.ResetsAt), (result.Verdict, result.Reason, result.RetryAt));
            }
            else
            {
                Assert.Same(local, result);
            }
        }, iter: 10_000);

    [Fact]
    public void RunBudgetNeverGrantsMoreThanPerDayAndRefillsEachDay() =>
        Gen.Select(
            Gen.Int[0, 10],
            Gen.Frequency((6, Gen.Int[0, 60]), (1, Gen.Int[0, 2 * 24 * 60])).List[0, 120]).Sample((perDay, gaps) =>
        {
            var counter = new RunBudgetCounter(default, 0);
            var at = new DateTimeOffset(2025, 3, 1, 20, 0, 0, TimeSpan.Zero);
            var requests = new List<(DateOnly Day, bool Granted)>();
            foreach (var gap in gaps)
            {
                at = at.AddMinutes(gap);
                (counter, var reservation) = counter.Reserve(perDay, at);
                requests.Add((DateOnly.FromDateTime(at.UtcDateTime), reservation.Granted));
                Assert.True(reservation.ResetsAt > at && reservation.ResetsAt <= at.AddDays(1));
                Assert.True(reservation.UsedToday <= perDay);
            }

            foreach (var day in requests.GroupBy(r => r.Day))
            {
                Assert.Equal(Math.Min(perDay, day.Count()), day.Count(r => r.Granted));
            }
        }, iter: 5_000);

    [Fact]
    public void ReservationCountsTheRunsUsedTodayIncludingThisOne() =>
        Gen.Select(Gen.Int[0, 6], Gen.Int[0, 12 * 60].List[0, 30]).Sample((perDay, gaps) =>
        {
            var counter = new RunBudgetCounter(default, 0);
            var at = new DateTimeOffset(2025, 3, 1, 20, 0, 0, TimeSpan.Zero);
            var grantedToday = 0;
            var day = DateOnly.FromDateTime(at.UtcDateTime);
            foreach (var gap in gaps)
            {
                at = at.AddMinutes(gap);
                if (DateOnly.FromDateTime(at.UtcDateTime) != day)
                {
                    (day, grantedToday) = (DateOnly.FromDateTime(at.UtcDateTime), 0);
                }

                (counter, var reservation) = counter.Reserve(perDay, at);
                var granted = grantedToday < perDay;
                grantedToday += granted ? 1 : 0;

                var midnight = new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
                Assert.Equal(new RunBudgetReservation(granted, grantedToday, perDay, midnight), reservation);
                Assert.Equal(new RunBudgetCounter(day, grantedToday), counter);
            }
        }, iter: 2_000);

    [Fact]
    public void BudgetRefusalSaysHowManyRunsWereUsedAndWhenItRefills()
    {
        var allowed = DecisionCostGate.EvaluateLocal(new GateInput(0.9, 0.5, null, TimeSpan.Zero, "sha256:1", null, Now));
        var refills = new DateTimeOffset(2025, 3, 2, 0, 0, 0, TimeSpan.Zero);

        var result = DecisionCostGate.WithBudget(allowed, new RunBudgetReservation(false, 40, 40, refills));

        Assert.Equal((GateVerdict.Defer, (DateTimeOffset?)refills), (result.Verdict, result.RetryAt));
        Assert.Equal("The tenant used 40 of 40 decision runs today; the budget refills at 2025-03-02T00:00:00.0000000+00:00.", result.Explanation);
    }

    [Fact]
    public void RunIsAllowedAgainTheMomentTheIntervalEnds() =>
        Gen.Select(Gen.Int[1, 3_600], Gen.Int[0, 3]).Sample((intervalSeconds, digest) =>
        {
            var interval = TimeSpan.FromSeconds(intervalSeconds);
            var input = new GateInput(0.9, 0.5, Now - interval, interval, $"sha256:{digest}", "sha256:other", Now);

            Assert.Equal(GateVerdict.Allow, DecisionCostGate.EvaluateLocal(input).Verdict);
            var tick = DecisionCostGate.EvaluateLocal(input with { LastRunAt = Now - interval + TimeSpan.FromTicks(1) });
            Assert.Equal((GateVerdict.Defer, (DateTimeOffset?)Now.AddTicks(1)), (tick.Verdict, tick.RetryAt));
        });
}

/// <summary>The tenant's thresholds: its own where set, the silo's where not; SKIP only for low value and duplicates.</summary>
public class GateThresholdTests
{
    [Fact]
    public void ATenantsThresholdsOverrideTheSilosOnlyWhereSet() =>
        Gen.Select(Gen.Double[0, 5].Nullable(0.5), Gen.Int[0, 7_200].Select(s => TimeSpan.FromSeconds(s)).Nullable(0.5), Gen.Double[0, 5], Gen.Int[0, 7_200]).Sample((min, interval, siloMin, siloSeconds) =>
        {
            var silo = new GateThresholds(siloMin, TimeSpan.FromSeconds(siloSeconds));
            var budget = Autonomy.Tenants.CostBudget.Default with { MinMarginalValue = min, MinRunInterval = interval };
            Assert.Equal(new GateThresholds(min ?? siloMin, interval ?? silo.MinRunInterval), budget.Thresholds(silo));
        });

    [Fact]
    public void TheDefaultIntervalLetsTheGateDefer()
    {
        Assert.True(GateThresholds.Default.MinRunInterval > TimeSpan.Zero);
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var input = new GateInput(1, 0, now.AddMinutes(-1), TimeSpan.Zero, "a", "b", now).With(GateThresholds.Default);
        var result = DecisionCostGate.EvaluateLocal(input);
        Assert.Equal((GateVerdict.Defer, GateReason.AccountCooldown, (DateTimeOffset?)now.AddMinutes(13)), (result.Verdict, result.Reason, result.RetryAt));
    }

    [Fact]
    public void OnlyLowValueAndDuplicatesAreEverSkipped() =>
        Gen.Select(Gen.Double[-1, 2], Gen.Double[0, 1], Gen.Int[0, 600].Nullable(0.3), Gen.Int[0, 600], Gen.Int[0, 2], Gen.Int[0, 2].Nullable(0.3), Gen.Bool, Gen.Bool).Sample(
            (value, min, lastAgo, interval, digest, lastDigest, runsGranted, tokensGranted) =>
            {
                var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
                var local = DecisionCostGate.EvaluateLocal(new GateInput(value, min, lastAgo is { } a ? now.AddSeconds(-a) : null, TimeSpan.FromSeconds(interval), $"d{digest}", lastDigest is { } l ? $"d{l}" : null, now));
                var ends = BudgetDay.End(BudgetDay.Of(now));
                var result = DecisionCostGate.WithBudget(
                    DecisionCostGate.WithTokens(local, new TokenReservation(tokensGranted, "r", 10, 10, 10, 0, ends, tokensGranted ? null : ends)),
                    new RunBudgetReservation(runsGranted, 1, 1, ends));
                if (result.Verdict == GateVerdict.Skip)
                {
                    Assert.Contains(result.Reason, new[] { GateReason.LowMarginalValue, GateReason.DuplicateInputs });
                }

                Assert.Equal(result.Verdict == GateVerdict.Defer, result.RetryAt > now);
            }, iter: 5_000);
}

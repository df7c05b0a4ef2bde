using Autonomy.CostGate;
using CsCheck;

namespace Autonomy.Tests.CostGate;

/// <summary>
/// The token counter under any interleaving of concurrent calls (each reserves, later settles with what it used):
/// the budget is never overshot, settlements give back exactly the difference, and the day rolls over.
/// </summary>
public class TokenBudgetCounterTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>One step of a schedule: call <c>Call</c> reserves (if not yet) or settles (if reserved) using <c>Fraction</c> of its reservation.</summary>
    private sealed record Step(int Call, long Expected, double Fraction);

    private static readonly Gen<Step> Steps = Gen.Select(Gen.Int[0, 15], Gen.Long[0, 400], Gen.Double.Unit, (c, e, f) => new Step(c, e, f));

    [Fact]
    public void ConcurrentReservationsNeverOvershootAndSettleExactly() =>
        Gen.Select(Gen.Long[0, 2_000], Steps.List[0, 200]).Sample((perDay, steps) =>
        {
            var counter = TokenBudgetCounter.Empty;
            var reserved = new Dictionary<int, long>();
            var settledActual = 0L;
            var settledCalls = new HashSet<int>();
            foreach (var step in steps)
            {
                var id = $"run-{step.Call}";
                if (settledCalls.Contains(step.Call))
                {
                    continue;
                }

                if (!reserved.TryGetValue(step.Call, out var held))
                {
                    (counter, var r) = counter.Reserve(id, step.Expected, perDay, Start);
                    Assert.Equal(r.Granted, counter.Used == r.UsedToday && r.Granted);
                    if (r.Granted)
                    {
                        reserved[step.Call] = step.Expected;
                    }
                    else
                    {
                        Assert.True(r.RetryAt > Start && r.RetryAt <= r.ResetsAt);
                        Assert.True(counter.Used + step.Expected > perDay || counter.Outstanding.Count >= TokenBudgetCounter.MaxOutstanding);
                    }
                }
                else
                {
                    var actual = (long)Math.Floor(held * step.Fraction);
                    (counter, var s) = counter.Settle(id, actual, Start, perDay);
                    Assert.True(s.Applied);
                    Assert.Equal((held, actual, 0L), (s.Reserved, s.Actual, s.Overrun));
                    reserved.Remove(step.Call);
                    settledCalls.Add(step.Call);
                    settledActual += actual;
                }

                // Never overshot, at any moment: what is used plus what is reserved stays within the day's budget.
                Assert.True(counter.Used <= perDay, $"{counter.Used} > {perDay}");
                Assert.Equal(settledActual + reserved.Values.Sum(), counter.Used);
                Assert.Equal(reserved.Values.Sum(), counter.Reserved);
                Assert.Equal(reserved.Count, counter.Outstanding.Count);
            }
        }, iter: 3_000);

    [Fact]
    public void ConcurrentCallersOnRealThreadsNeverOvershoot()
    {
        // The grain serializes its callers; here a lock does, around the same pure counter, under real contention.
        const long perDay = 10_000;
        var counter = TokenBudgetCounter.Empty;
        var gate = new object();
        long spent = 0;
        Parallel.For(0, 2_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var id = $"run-{i}";
            TokenReservation r;
            lock (gate)
            {
                (counter, r) = counter.Reserve(id, 300, perDay, Start);
                Assert.True(counter.Used <= perDay);
            }

            if (!r.Granted)
            {
                return;
            }

            Thread.SpinWait(100);
            var actual = 50 + (i % 250);
            lock (gate)
            {
                (counter, _) = counter.Settle(id, actual, Start, perDay);
                spent += actual;
                Assert.True(counter.Used <= perDay);
            }
        });

        Assert.True(spent <= perDay);
        Assert.Equal(spent, counter.Used);
        Assert.Equal(0, counter.Reserved);
    }

    [Fact]
    public void AskingAgainWithTheSameIdDoesNotReserveTwice()
    {
        var (counter, first) = TokenBudgetCounter.Empty.Reserve("run-1", 100, 150, Start);
        var (again, second) = counter.Reserve("run-1", 100, 150, Start);
        Assert.True(first.Granted && second.Granted);
        Assert.Equal(100, again.Used);

        var (settled, s) = again.Settle("run-1", 40, Start, 150);
        var (twice, s2) = settled.Settle("run-1", 40, Start, 150);
        Assert.True(s.Applied);
        Assert.False(s2.Applied);
        Assert.Equal(40, twice.Used);
    }

    [Fact]
    public void ARefusalRetriesSoonWhileCallsInFlightCouldGiveBackEnoughElseAtMidnight()
    {
        var (counter, _) = TokenBudgetCounter.Empty.Reserve("a", 800, 1_000, Start);
        var (_, soon) = counter.Reserve("b", 500, 1_000, Start);
        Assert.False(soon.Granted);
        Assert.Equal(Start + TokenBudgetCounter.InFlightRetry, soon.RetryAt);

        var (spent, _) = counter.Settle("a", 800, Start, 1_000);
        var (_, tomorrow) = spent.Reserve("b", 500, 1_000, Start);
        Assert.False(tomorrow.Granted);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), tomorrow.RetryAt);
    }

    [Fact]
    public void ReservationsInFlightAreBounded()
    {
        var counter = TokenBudgetCounter.Empty;
        for (var i = 0; i < TokenBudgetCounter.MaxOutstanding; i++)
        {
            (counter, var r) = counter.Reserve($"r{i}", 1, long.MaxValue / 2, Start);
            Assert.True(r.Granted);
        }

        var (full, refused) = counter.Reserve("one-more", 1, long.MaxValue / 2, Start);
        Assert.False(refused.Granted);
        Assert.Equal(Start + TokenBudgetCounter.InFlightRetry, refused.RetryAt);
        Assert.Equal(TokenBudgetCounter.MaxOutstanding, full.Outstanding.Count);

        var (settled, _) = full.Settle("r0", 1, Start, long.MaxValue / 2);
        Assert.True(settled.Reserve("one-more", 1, long.MaxValue / 2, Start).Reservation.Granted);
    }

    [Fact]
    public void AnOverrunIsChargedAndReported()
    {
        var (counter, _) = TokenBudgetCounter.Empty.Reserve("a", 100, 1_000, Start);
        var (next, s) = counter.Settle("a", 130, Start, 1_000);
        Assert.Equal((30L, 130L), (s.Overrun, next.Used));
    }

    [Fact]
    public void TheBudgetRollsOverAtTheUtcDayBoundaryAndANewBudgetAppliesAtOnce() =>
        Gen.Select(Gen.Frequency((6, Gen.Int[0, 90]), (1, Gen.Int[0, 2 * 24 * 60])), Gen.Long[0, 600], Gen.Long[0, 1_500], Gen.Bool).List[0, 150].Sample(ops =>
        {
            var counter = TokenBudgetCounter.Empty;
            var at = new DateTimeOffset(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
            var day = BudgetDay.Of(at);
            var usedToday = 0L;
            var i = 0;
            foreach (var (gap, tokens, perDay, settleAtOnce) in ops)
            {
                at = at.AddMinutes(gap);
                if (BudgetDay.Of(at) != day)
                {
                    (day, usedToday) = (BudgetDay.Of(at), 0);
                }

                var id = $"r{i++}";
                (counter, var r) = counter.Reserve(id, tokens, perDay, at);

                // The budget in force now decides, against what today used so far: lowered mid-day, nothing more fits.
                Assert.Equal(usedToday + tokens <= perDay, r.Granted);
                Assert.Equal(BudgetDay.End(day), r.ResetsAt);
                if (r.Granted)
                {
                    usedToday += tokens;
                    if (settleAtOnce)
                    {
                        (counter, _) = counter.Settle(id, tokens / 2, at, perDay);
                        usedToday -= tokens - (tokens / 2);
                    }
                }

                Assert.Equal(usedToday, counter.UsedOn(at));
                Assert.Equal(0, counter.UsedOn(at.AddDays(1)));
            }
        }, iter: 3_000);

    [Fact]
    public void TheRunBudgetRollsOverAtTheUtcDayBoundaryAndANewBudgetAppliesAtOnce() =>
        Gen.Select(Gen.Frequency((6, Gen.Int[0, 60]), (1, Gen.Int[0, 2 * 24 * 60])), Gen.Int[0, 8]).List[0, 150].Sample(ops =>
        {
            var counter = new RunBudgetCounter(default, 0);
            var at = new DateTimeOffset(2026, 3, 1, 21, 0, 0, TimeSpan.Zero);
            var day = BudgetDay.Of(at);
            var usedToday = 0L;
            foreach (var (gap, perDay) in ops)
            {
                at = at.AddMinutes(gap);
                if (BudgetDay.Of(at) != day)
                {
                    (day, usedToday) = (BudgetDay.Of(at), 0);
                }

                (counter, var r) = counter.Reserve(perDay, at);
                Assert.Equal(usedToday < perDay, r.Granted);
                usedToday += r.Granted ? 1 : 0;
                Assert.True(!r.Granted || r.UsedToday <= perDay, "a grant never takes the day beyond the budget in force");
                Assert.Equal(usedToday, counter.UsedOn(at));

                // A refusal defers to the refill, which is the next UTC midnight.
                var gate = DecisionCostGate.WithBudget(new GateResult(GateVerdict.Allow, GateReason.WorthRunning, "x", null), r);
                Assert.Equal(r.Granted ? null : BudgetDay.End(day), gate.RetryAt);
            }
        }, iter: 3_000);

    [Fact]
    public void TokenRefusalDefersToItsRetryTimeAndOnlyTurnsAllowIntoDefer() =>
        Gen.Select(Gen.Bool, Gen.OneOf(Gen.Const(GateVerdict.Allow), Gen.Const(GateVerdict.Defer), Gen.Const(GateVerdict.Skip)), Gen.Int[1, 3_600]).Sample((granted, verdict, seconds) =>
        {
            var retry = Start.AddSeconds(seconds);
            var local = new GateResult(verdict, verdict == GateVerdict.Allow ? GateReason.WorthRunning : GateReason.LowMarginalValue, "x", verdict == GateVerdict.Defer ? retry : null);
            var reservation = new TokenReservation(granted, "r", 100, 950, 1_000, 0, BudgetDay.End(BudgetDay.Of(Start)), granted ? null : retry);
            var result = DecisionCostGate.WithTokens(local, reservation);
            if (verdict == GateVerdict.Allow && !granted)
            {
                Assert.Equal((GateVerdict.Defer, GateReason.TokenBudgetExhausted, (DateTimeOffset?)retry), (result.Verdict, result.Reason, result.RetryAt));
            }
            else
            {
                Assert.Same(local, result);
            }
        });

    [Fact]
    public void TheUpperBoundCoversThePromptBytesFramingAndTheCompletionCap() =>
        Assert.Equal(1_000 + (2 * TokenEstimate.PerMessage) + TokenEstimate.Framing + 256, TokenEstimate.UpperBound(1_000, 2, 256));
}

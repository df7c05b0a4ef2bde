using System.Text.Json;
using Autonomy.Simulator;

namespace Autonomy.Simulator.Tests;

/// <summary>The cost simulator on small populations: its report holds together, is reproducible, and no budget is ever overshot.</summary>
public sealed class SimulationTests
{
    private static SimReport Simulate(SimulationOptions options) => new Simulation(options with { Progress = false }).Run();

    [Fact]
    public void ASmallPopulationsReportHoldsItsInvariants()
    {
        var r = Simulate(new SimulationOptions { Accounts = 2_000, Days = 2, Seed = 3, AccountsPerTenant = 500 });

        Assert.Equal(4, r.Tenants);
        Assert.True(r.Signals > 1_000, $"{r.Signals} signals");
        Assert.InRange(r.EngineCalls, 1, r.BaselineEngineCalls);
        Assert.Equal(r.EngineCalls, r.SignalRuns + r.RitualRuns);
        Assert.Equal(r.EngineCalls, r.EngineSeries.Sum());
        Assert.Equal(r.BaselineEngineCalls, r.BaselineSeries.Sum());
        Assert.Equal(r.Pulls, r.PullSeries.Sum());
        Assert.InRange(r.Pulls, 1, r.BaselinePulls);
        Assert.Equal(2_000L * 2 * 96, r.BaselinePulls);
        Assert.True(r.Tokens < r.BaselineTokens);
        Assert.True(r.CostUsd < r.BaselineCostUsd);

        // Every high-value trigger is decided within 15 minutes, later, or not (yet) at all.
        Assert.True(r.HighValueTriggers > 100);
        Assert.Equal(r.HighValueTriggers, r.HighValueDecidedWithin15m + r.HighValueDecidedLater + r.HighValueUndecided);
        Assert.Equal(r.HighValueDecidedWithin15m + r.HighValueDecidedLater, r.LatencyMinutes.Sum());
        Assert.True(r.LatencyMinutes.Take(15).Sum() <= r.HighValueDecidedWithin15m, "a decision in minutes 0 to 14 is within the deadline");

        // The floor: the first triggers of its spans are more than 15 minutes apart, so each one decided on time needs a
        // run of its own; no run count can go below the floor less the triggers that were not decided on time.
        Assert.Equal(r.SignalRuns, r.HighValueRuns + r.LowValueRuns);
        Assert.InRange(r.HighValueFloor, 1, r.HighValueTriggers - 1);
        Assert.True(r.HighValueRuns + r.RitualRuns >= r.HighValueFloor - (r.HighValueTriggers - r.HighValueDecidedWithin15m), $"{r.HighValueRuns} + {r.RitualRuns} runs under the floor {r.HighValueFloor}");
        Assert.Equal(Math.Round((double)r.EngineCalls / r.HighValueFloor, 3), r.EngineCallsOverFloor);
        Assert.Equal(r.EngineCalls, r.EngineCallsBy.Values.Sum());
        Assert.Equal(r.HighValueFloor, r.FloorSeries.Sum());
        Assert.Equal(r.Days, r.PerDayOverFloor().Count());
        Assert.Contains(r.Targets, t => t.Target == "engine calls <= 1.5x the floor" && t.Met == (r.EngineCallsOverFloor <= 1.5));

        // Every account starts with the weekly review before the first simulated day as its last run: no first-look briefs.
        Assert.DoesNotContain(r.EngineCallsBy.Keys, k => k.Contains("never ran", StringComparison.Ordinal));

        // Hot accounts are pulled within the hot cadence's maximum of turning hot or of their last pull.
        Assert.True(r.HotStalenessSamples > 0);
        Assert.InRange(r.MaxHotStalenessMinutes, 0, 15);
        Assert.Equal(r.HotStalenessSamples, r.StalenessMinutes.Sum());
        Assert.Equal(0, r.BudgetOvershoots);
        Assert.Equal(r.Days * 24, r.HotSeries.Length);
        Assert.All(r.HotSeries, hot => Assert.InRange(hot, 1, r.Accounts));
    }

    [Fact]
    public void TheReportCarriesTheFieldsTheIssueAsksForAndAPageWithoutExternalAssets()
    {
        var r = Simulate(new SimulationOptions { Accounts = 300, Days = 1, Seed = 5 });

        using var json = JsonDocument.Parse(r.ToJson());
        foreach (var field in new[] { "engineCalls", "baselineEngineCalls", "highValueTriggers", "highValueDecidedWithin15m", "pulls", "baselinePulls", "maxHotStalenessMinutes", "budgetOvershoots", "elapsedSeconds", "highValueFloor", "floorShareOfBaseline", "engineCallsOverFloor", "tokens", "costUsd", "targets" })
        {
            Assert.True(json.RootElement.TryGetProperty(field, out _), $"report.json lacks {field}");
        }

        Assert.Equal(r.EngineCalls, json.RootElement.GetProperty("engineCalls").GetInt64());
        var html = ReportPage.Render(r);
        Assert.Equal(5, html.Split("<svg").Length - 1);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TheSameSeedGivesTheSameFiguresAndAnotherSeedOthers()
    {
        var options = new SimulationOptions { Accounts = 1_000, Days = 1, Seed = 11 };
        var a = Simulate(options);
        var b = Simulate(options);
        var c = Simulate(options with { Seed = 12 });

        Assert.Equal((a.Signals, a.EngineCalls, a.Tokens, a.Pulls, a.HighValueTriggers, a.HighValueDecidedWithin15m, a.MaxHotStalenessMinutes),
            (b.Signals, b.EngineCalls, b.Tokens, b.Pulls, b.HighValueTriggers, b.HighValueDecidedWithin15m, b.MaxHotStalenessMinutes));
        Assert.NotEqual(a.Signals, c.Signals);
    }

    [Fact]
    public void TightBudgetsSkipWorkButAreNeverOvershot()
    {
        var options = new SimulationOptions { Accounts = 2_000, Days = 2, Seed = 7, AccountsPerTenant = 1_000, PullsPerDay = 3_000, RunsPerDay = 400, TokensPerDay = 2_000_000 };

        var r = Simulate(options);

        Assert.Equal(0, r.BudgetOvershoots);
        Assert.True(r.PullsSkipped > 0, "the pull budget ran out");
        Assert.Contains(r.GateNotAllowed, g => g.Key.EndsWith("BUDGET_EXHAUSTED", StringComparison.Ordinal) && g.Value > 0);
        var tenantDays = r.Tenants * r.Days;
        Assert.True(r.Pulls <= options.PullsPerDay * tenantDays);
        Assert.True(r.EngineCalls <= options.RunsPerDay * tenantDays);
        Assert.True(r.Tokens <= options.TokensPerDay * tenantDays);
    }

    [Fact]
    public void AMinimumRunIntervalDefersRunsAndAThresholdSkipsThemThroughTheRealGate()
    {
        var options = new SimulationOptions { Accounts = 1_000, Days = 1, Seed = 4 };
        var plain = Simulate(options with { MinRunIntervalMinutes = 0, MinMarginalValue = 0 });
        var strict = Simulate(options with { MinRunIntervalMinutes = 10, MinMarginalValue = 0.8 });

        Assert.True(strict.GateNotAllowed.GetValueOrDefault("DEFER ACCOUNT_COOLDOWN") > 0);
        Assert.True(strict.GateNotAllowed.GetValueOrDefault("SKIP LOW_MARGINAL_VALUE") > 0);
        Assert.True(strict.EngineCalls < plain.EngineCalls);
        Assert.Equal(0, strict.BudgetOvershoots);
    }

    [Fact]
    public void LowValueSignalsAccumulateInsteadOfEachBuyingARunAndHighValueOnesAreStillDecidedAtOnce()
    {
        var options = new SimulationOptions { Accounts = 3_000, Days = 1, Seed = 6 };
        var eager = Simulate(options with { MinMarginalValue = 0.05 });
        var gated = Simulate(options);

        // The default threshold parks lone low-value signals (SKIP LOW_MARGINAL_VALUE) and the quiet daily briefs...
        Assert.True(gated.GateNotAllowed.GetValueOrDefault("SKIP LOW_MARGINAL_VALUE") > 0);
        Assert.True(gated.SignalRuns < eager.SignalRuns * 0.9, $"{gated.SignalRuns} signal runs vs {eager.SignalRuns}");
        Assert.True(gated.RitualRuns < eager.RitualRuns / 2, $"{gated.RitualRuns} ritual runs vs {eager.RitualRuns}");

        // ...without losing a high-value trigger: a parked window is not dropped, and high values run at once.
        Assert.True(gated.HighValueDecidedWithin15m >= 0.99 * gated.HighValueTriggers, $"{gated.HighValueDecidedWithin15m} of {gated.HighValueTriggers}");
        Assert.Equal(gated.HighValueTriggers, gated.HighValueDecidedWithin15m + gated.HighValueDecidedLater + gated.HighValueUndecided);
        Assert.Equal(0, gated.BudgetOvershoots);
    }

    [Fact]
    public void TheShippedRulesKeepEveryDayWithinOneAndAHalfTimesTheFloorAndDecideHighValueTriggersOnTime()
    {
        var r = Simulate(new SimulationOptions { Accounts = 5_000, Days = 2, Seed = 1 });

        Assert.All(r.PerDayOverFloor(), x => Assert.InRange(x, 1, 1.5));
        Assert.True(r.HighValueDecidedWithin15mShare >= 0.99, $"{r.HighValueDecidedWithin15mShare:P2}");
        Assert.Equal(0, r.HighValueDecidedLater);
    }

    [Fact]
    public void OptionsAreReadFromTheCommandLineAndBadOnesRefused()
    {
        var o = SimulationOptions.Parse(["--accounts", "500", "--days", "3", "--seed", "9", "--out", "x", "--pulls-per-day", "10"]);

        Assert.Equal((500, 3, 9, "x", 10L), (o.Accounts, o.Days, o.Seed, o.Out, o.PullsPerDay));
        Assert.Equal((0.6, 5.0), (SimulationOptions.Parse(["--min-marginal-value", "0.6", "--min-run-interval-minutes", "5"]) is var t ? (t.MinMarginalValue, t.MinRunIntervalMinutes) : default));
        Assert.Throws<ArgumentException>(() => SimulationOptions.Parse(["--accounts", "0"]));
        Assert.Throws<ArgumentException>(() => SimulationOptions.Parse(["--bogus"]));
    }
}

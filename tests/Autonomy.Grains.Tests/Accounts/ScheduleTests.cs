using System.Text.Json;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Autonomy.Tests.Support;
using Autonomy.Triggers;

namespace Autonomy.Tests.Accounts;

/// <summary>Rituals on the account's reminder, and Mode 4: scheduled runs act alone only where the account opted in.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ScheduleTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;

    [Fact]
    public async Task AScheduledRunWaitsForAHumanUnlessTheAccountOptedInToAutonomousSchedules()
    {
        var t = await DailyBriefScenarioAsync();

        await AdvanceToNextDayAsync(new TimeOnly(7, 45));
        await WaitForTickAsync(t, "FIRE");
        await Eventually.UntilAsync(async () => (await t.NeedsInputAsync()).Any(p => p.StartedBySchedule), TimeSpan.FromSeconds(10), "the proposal of the scheduled run");

        Assert.Empty(await t.TimelineAsync());
        var waiting = (await t.NeedsInputAsync()).Single(p => p.StartedBySchedule);
        Assert.Equal(PolicyReason.ScheduleNotOptedIn, waiting.Reason);

        await t.Seller.SetDigestSettingsAsync(DigestSettings.Default with { Enabled = true }, t.SellerActor);
        await t.Account.SetAutonomousSchedulesAsync(true, Scenario.Admin);
        await AdvanceToNextDayAsync(new TimeOnly(7, 45));
        await WaitForTickAsync(t, "FIRE", count: 2);
        await Eventually.UntilAsync(async () => (await t.TimelineAsync()).Length > 0, TimeSpan.FromSeconds(10), "the scheduled action on the timeline");

        var done = Assert.Single(await t.TimelineAsync());
        Assert.True(done.Autonomous);
        Assert.Equal(PolicyReason.AllowedByPolicy, done.Reason);
    }

    [Fact]
    public async Task ATickMissedBeyondTheCatchUpWindowIsLedgeredAsMissedAndDoesNotRun()
    {
        var t = await DailyBriefScenarioAsync();

        await AdvanceToNextDayAsync(new TimeOnly(18, 0));
        var missed = await WaitForTickAsync(t, "MISSED");

        Assert.Contains("catch-up window", missed.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.TriggerFired));
        Assert.Empty(await t.NeedsInputAsync());
    }

    private async Task<Scenario> DailyBriefScenarioAsync()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));

        // These tests are about the schedule and Mode 4, not the gate: a lone daily brief on a quiet account (0.5) is
        // below the default threshold (0.6), so this tenant lets every ritual run.
        await t.Tenant.SetCostBudgetAsync(CostBudget.Default with { MinMarginalValue = 0 }, Scenario.Admin);
        await t.Tenant.SetPlaybookAsync(
            new Playbook([new PlaybookRule(TriggerRegistry.DailyBrief, null, [Scenario.Proposal("CREATE_TASK", """{"title":"Daily brief"}""", 0.9)])]),
            [],
            Scenario.Admin);
        return t;
    }

    /// <summary>Moves the shared domain clock forward to the given time of the next UTC day.</summary>
    private Task AdvanceToNextDayAsync(TimeOnly at)
    {
        var now = _cluster.Clock.GetUtcNow();
        var target = new DateTimeOffset(DateOnly.FromDateTime(now.UtcDateTime).AddDays(1).ToDateTime(at), TimeSpan.Zero);
        _cluster.Clock.Advance(target - now);
        return Task.CompletedTask;
    }

    /// <summary>Waits for the account's reminder to ledger a daily-brief tick with this disposition.</summary>
    private static async Task<JsonElement> WaitForTickAsync(Scenario t, string disposition, int count = 1)
    {
        List<JsonElement> ticks = [];
        await Eventually.UntilAsync(
            async () =>
            {
                ticks = [.. (await t.LedgerAsync(type: LedgerTypes.ScheduleTick))
                    .Select(e => JsonDocument.Parse(e.Payload).RootElement)
                    .Where(p => p.GetProperty("ritual").GetString() == TriggerRegistry.DailyBrief && p.GetProperty("disposition").GetString() == disposition)];
                return ticks.Count >= count && (disposition != "FIRE" || (await t.LedgerAsync(type: LedgerTypes.PolicyEvaluated)).Length >= count);
            },
            TimeSpan.FromSeconds(30),
            $"a {disposition} tick of the daily brief");
        return ticks[^1];
    }
}

using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.CostGate;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tenants;
using Autonomy.Tests.Support;
using Autonomy.Triggers;

namespace Autonomy.Tests.Accounts;

/// <summary>An embedded silo whose engine defers runs closer than an hour apart and remembers one signal id.</summary>
public sealed class ConfiguredEngineFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();

    public AutonomyCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await AutonomyCluster.StartAsync(_directory.Path, settings: new Dictionary<string, string?>
    {
        ["Autonomy:Engine:MinRunInterval"] = "01:00:00",
        ["Autonomy:Engine:SignalIdMemory"] = "1",
    });

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>Mode 4 across a deferral, and the replay watermark.</summary>
public sealed class ConfiguredEngineTests(ConfiguredEngineFixture fixture) : IClassFixture<ConfiguredEngineFixture>
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;

    [Fact]
    public async Task AScheduledRunTheGateDeferredStillWaitsForAHumanWhenItRuns()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        var task = Scenario.Proposal("CREATE_TASK", """{"title":"Ritual"}""", 0.9);

        // About the deferral, not the value: a brief 71 minutes after a run on an account with nothing new is worth
        // little (ritual novelty), so this tenant lets every run through the value check.
        await t.Tenant.SetCostBudgetAsync(CostBudget.Default with { MinMarginalValue = 0 }, Scenario.Admin);
        await t.Tenant.SetPlaybookAsync(
            new Playbook([
                new PlaybookRule(Scenario.Instant, null, [Scenario.Proposal("CREATE_TASK", """{"title":"Signal"}""", 0.9)]),
                new PlaybookRule(TriggerRegistry.DailyBrief, null, [task]),
                new PlaybookRule(TriggerRegistry.WeeklyReview, null, [task]),
            ]),
            [TriggerRegistry.Signal(Scenario.Instant, 0, 0, 0)],
            Scenario.Admin);

        // A signal-started run ten minutes before the next ritual, so the gate defers the ritual's run by an hour.
        var ritualAt = (await t.Account.GetAsync()).NextRitualAt!.Value;
        _cluster.Clock.Advance(ritualAt - TimeSpan.FromMinutes(10) - _cluster.Clock.GetUtcNow());
        await t.SignalAsync();
        Assert.Single(await t.TimelineAsync());

        _cluster.Clock.Advance(TimeSpan.FromMinutes(11));
        JsonElement deferred = default;
        await Eventually.UntilAsync(
            async () => (await t.LedgerAsync(type: LedgerTypes.CostGate)).Select(e => JsonDocument.Parse(e.Payload).RootElement)
                .Any(p => (deferred = p).GetProperty("verdict").GetString() == "DEFER"),
            TimeSpan.FromSeconds(30),
            "the ritual's run to be deferred");

        _cluster.Clock.Advance(deferred.GetProperty("retryAt").GetDateTimeOffset() + TimeSpan.FromMinutes(1) - _cluster.Clock.GetUtcNow());
        await Eventually.UntilAsync(async () => (await t.NeedsInputAsync()).Any(p => p.StartedBySchedule), TimeSpan.FromSeconds(30), "the held ritual run");

        Assert.Single(await t.TimelineAsync());
        Assert.Equal(PolicyReason.ScheduleNotOptedIn, (await t.NeedsInputAsync()).Single(p => p.StartedBySchedule).Reason);
        Assert.All(
            (await t.LedgerAsync(type: LedgerTypes.TriggerFired)).Select(e => JsonDocument.Parse(e.Payload).RootElement).Where(p => p.GetProperty("triggerType").GetString() != Scenario.Instant),
            p => Assert.True(p.GetProperty("startedBySchedule").GetBoolean()));
    }

    [Fact]
    public async Task TheReplayWatermarkNeverGoesBack()
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync();
        await t.Account.IngestSignalsAsync([new SignalInput("a", "WEBSITE_VISIT", null, 0.9, null)], Scenario.Ingest);
        await t.Account.IngestSignalsAsync([new SignalInput("b", "WEBSITE_VISIT", null, 0.9, null)], Scenario.Ingest);
        await _cluster.Cluster.DeactivateAsync((IAddressable)t.Account);
        var heat = (await t.Account.GetAsync()).Heat;

        // A write that appends nothing to the account's stream, first thing after an activation; then come back.
        await t.Account.SetAutonomousSchedulesAsync(false, Scenario.Admin);
        await _cluster.Cluster.DeactivateAsync((IAddressable)t.Account);

        Assert.Equal(heat, (await t.Account.GetAsync()).Heat);
    }
}

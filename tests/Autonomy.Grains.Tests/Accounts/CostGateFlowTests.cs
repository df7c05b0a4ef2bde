using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.CostGate;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tenants;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// The gate complete: SKIP and DEFER propose nothing, a DEFER holds every signal for the run after its retry time,
/// the tenant's thresholds apply, and the chat engine's tokens, validation, failures and fallbacks are ledgered.
/// </summary>
public sealed class CostGateFlowTests(CostGateFixture fixture) : IClassFixture<CostGateFixture>
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;
    private readonly FakeChatServer _chat = fixture.Chat;

    private static async Task<List<JsonElement>> PayloadsAsync(Scenario t, string type, string? runId = null) =>
        [.. (await t.LedgerAsync(runId, type)).Select(e => JsonDocument.Parse(e.Payload).RootElement)];

    private static async Task<List<string>> RunsWithAsync(Scenario t, string type) =>
        [.. (await t.LedgerAsync(type: type)).Select(e => e.RunId!)];

    private async Task<Scenario> TenantAsync(CostBudget? budget = null)
    {
        var t = new Scenario(_cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        if (budget is not null)
        {
            await t.Tenant.SetCostBudgetAsync(budget, Scenario.Admin);
        }

        return t;
    }

    private Task UseChatAsync(Scenario t, string model, EngineFallback fallback, string? key = null, string? baseUrl = null) =>
        t.Tenant.SetEngineAsync(new EngineSettings(EngineKind.Chat, fallback, new ChatSettings(baseUrl ?? _chat.BaseUrl, model, key ?? Key(t), 64, 0.5, 1.5)), Scenario.Admin);

    private static string Key(Scenario t) => $"sk-secret-{t.TenantId}";

    private int RequestsOf(Scenario t) => _chat.Requests.Count(r => r.Authorization == $"Bearer {Key(t)}");

    [Fact]
    public async Task ALowValueRunIsSkippedProposesNothingAndIsCountedByReason()
    {
        var t = await TenantAsync(CostBudget.Default with { MinMarginalValue = 50 });
        var before = fixture.Counted.GetValueOrDefault(("autonomy.gate.skipped", "LOW_MARGINAL_VALUE"));

        await t.SignalAsync("s-1");

        var gate = Assert.Single(await PayloadsAsync(t, LedgerTypes.CostGate));
        Assert.Equal(("SKIP", "LOW_MARGINAL_VALUE"), (gate.GetProperty("verdict").GetString(), gate.GetProperty("reason").GetString()));
        Assert.Equal(50, gate.GetProperty("thresholds").GetProperty("minMarginalValue").GetDouble());
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.DecisionProposed));
        Assert.True(fixture.Counted.GetValueOrDefault(("autonomy.gate.skipped", "LOW_MARGINAL_VALUE")) > before);
    }

    [Fact]
    public async Task AnExhaustedRunBudgetDefersHoldsEverySignalAndRunsThemAllAfterTheRefill()
    {
        var t = await TenantAsync(CostBudget.Default with { DecisionRunsPerDay = 1 });
        var deferredBefore = fixture.Counted.GetValueOrDefault(("autonomy.gate.deferred", "RUN_BUDGET_EXHAUSTED"));
        await t.SignalAsync("s-1");
        await t.SignalAsync("s-2");
        await t.SignalAsync("s-3");

        var gates = await PayloadsAsync(t, LedgerTypes.CostGate);
        Assert.Equal(["ALLOW", "DEFER"], gates.Select(g => g.GetProperty("verdict").GetString()));
        var deferred = gates[1];
        Assert.Equal("RUN_BUDGET_EXHAUSTED", deferred.GetProperty("reason").GetString());
        var retryAt = deferred.GetProperty("retryAt").GetDateTimeOffset();
        var now = _cluster.Clock.GetUtcNow();
        // The refill at midnight UTC, spread per account over the next ten minutes so held accounts do not all run at once.
        var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        Assert.InRange(retryAt, midnight, midnight + DecisionCostGate.RefillSpread);
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.DecisionProposed));
        Assert.True(fixture.Counted.GetValueOrDefault(("autonomy.gate.deferred", "RUN_BUDGET_EXHAUSTED")) > deferredBefore);
        Assert.Equal(retryAt, (await t.Account.GetAsync()).PendingRunDueAt);

        _cluster.Clock.Advance(retryAt + TimeSpan.FromMinutes(1) - now);
        await t.Account.PollAsync();
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.DecisionProposed)).Length == 2, TimeSpan.FromSeconds(30), "the held run");

        var fired = await PayloadsAsync(t, LedgerTypes.TriggerFired);
        Assert.Equal(3, fired.Count);
        Assert.Equal(["s-2", "s-3"], fired[2].GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Order());
        var held = (await t.LedgerAsync(type: LedgerTypes.DecisionProposed)).Last().RunId;
        Assert.Equal(held, (await t.LedgerAsync(type: LedgerTypes.TriggerFired)).Last().RunId);
    }

    [Fact]
    public async Task ATenantsOwnMinimumIntervalDefersTheNextRunWithItsSignals()
    {
        var t = await TenantAsync(CostBudget.Default with { MinRunInterval = TimeSpan.FromMinutes(10) });
        await t.SignalAsync("s-1");
        var first = _cluster.Clock.GetUtcNow();
        await t.SignalAsync("s-2");

        var gates = await PayloadsAsync(t, LedgerTypes.CostGate);
        Assert.Equal(("DEFER", "ACCOUNT_COOLDOWN"), (gates[1].GetProperty("verdict").GetString(), gates[1].GetProperty("reason").GetString()));
        Assert.Equal(first + TimeSpan.FromMinutes(10), gates[1].GetProperty("retryAt").GetDateTimeOffset());
        Assert.Single(await t.LedgerAsync(type: LedgerTypes.DecisionProposed));

        _cluster.Clock.Advance(TimeSpan.FromMinutes(11));
        await t.Account.PollAsync();
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.DecisionProposed)).Length == 2, TimeSpan.FromSeconds(30), "the deferred run");
        var fired = (await PayloadsAsync(t, LedgerTypes.TriggerFired)).Last();
        Assert.Equal("s-2", fired.GetProperty("signals")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task TheChatEngineProposesWithItsTokensReservedSettledAndPriced()
    {
        var t = await TenantAsync();
        await UseChatAsync(t, FakeChatServer.Ok, EngineFallback.Defer);

        await t.SignalAsync("s-1");

        var gate = Assert.Single(await PayloadsAsync(t, LedgerTypes.CostGate));
        Assert.Equal("chat", gate.GetProperty("engine").GetString());
        var reserved = gate.GetProperty("tokens").GetProperty("tokens").GetInt64();
        Assert.True(gate.GetProperty("tokens").GetProperty("granted").GetBoolean());
        var call = Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineCalled));
        Assert.Equal("OK", call.GetProperty("result").GetString());
        Assert.Equal((100, 50, 150), (call.GetProperty("promptTokens").GetInt32(), call.GetProperty("completionTokens").GetInt32(), call.GetProperty("chargedTokens").GetInt32()));
        Assert.Equal(0.125, call.GetProperty("cost").GetDouble(), 9);
        Assert.Equal(reserved, call.GetProperty("reservedTokens").GetInt64());
        Assert.Equal(reserved - 150, reserved - call.GetProperty("settlement").GetProperty("actual").GetInt64());
        var proposed = Assert.Single(await PayloadsAsync(t, LedgerTypes.DecisionProposed));
        Assert.Equal(("chat", 150), (proposed.GetProperty("engine").GetString(), proposed.GetProperty("tokens").GetInt32()));
        Assert.Equal("CREATE_TASK", Assert.Single(await t.TimelineAsync()).ActionType);
        Assert.Equal(150, (await t.Tenant.GetEngineAsync()).EngineTokensUsedToday);
        Assert.Equal(150, (await t.Tenant.GetAutonomyAsync()).EngineTokensUsedToday);
    }

    [Fact]
    public async Task TheChatEngineIsNotCalledBeforeTheRunsStepsAreDurable()
    {
        var t = await TenantAsync();
        await UseChatAsync(t, FakeChatServer.Ok, EngineFallback.Defer);
        _cluster.Hooks.LedgerRefuses[t.TenantId] = LedgerTypes.CostGate;
        try
        {
            await t.Account.IngestSignalsAsync([new SignalInput("s-1", Scenario.Instant, null, 0.8, null)], Scenario.Ingest);
            await Assert.ThrowsAnyAsync<Exception>(() => t.Account.PollAsync());
        }
        finally
        {
            _cluster.Hooks.LedgerRefuses.TryRemove(t.TenantId, out _);
        }

        Assert.Contains(LedgerTypes.CostGate, _cluster.Hooks.Attempted[t.TenantId]);
        Assert.Equal(0, RequestsOf(t));
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.EngineCalled));
    }

    [Fact]
    public async Task UnknownActionTypesAreRejectedLedgeredAndNeverReachThePolicy()
    {
        var t = await TenantAsync();
        var model = "mixed-" + t.TenantId;
        _chat.Answers[model] = """
            {"proposals":[
              {"actionType":"WIRE_MONEY","parameters":"{\"amount\":1000000}","confidence":0.99,"rationale":"x","inputsUsed":[]},
              {"actionType":"CREATE_TASK","parameters":"{\"title\":\"Follow up\"}","confidence":0.9,"rationale":"y","inputsUsed":["signal:s-1"]}
            ]}
            """;
        await UseChatAsync(t, model, EngineFallback.Defer);

        await t.SignalAsync("s-1");

        var call = Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineCalled));
        var rejected = Assert.Single(call.GetProperty("rejected").EnumerateArray());
        Assert.Equal(("WIRE_MONEY", "UNKNOWN_ACTION_TYPE"), (rejected.GetProperty("actionType").GetString(), rejected.GetProperty("reason").GetString()));
        Assert.Equal(1, call.GetProperty("accepted").GetInt32());
        Assert.DoesNotContain(await PayloadsAsync(t, LedgerTypes.PolicyEvaluated), p => p.GetProperty("actionType").GetString() == "WIRE_MONEY");
        Assert.Equal("CREATE_TASK", Assert.Single(Assert.Single(await PayloadsAsync(t, LedgerTypes.DecisionProposed)).GetProperty("proposals").EnumerateArray()).GetProperty("actionType").GetString());
        Assert.DoesNotContain(await t.TimelineAsync(), a => a.ActionType == "WIRE_MONEY");
    }

    [Fact]
    public async Task MalformedOutputFallsBackToThePlaybookAndTheLedgerSaysSo()
    {
        var t = await TenantAsync();
        await UseChatAsync(t, FakeChatServer.Malformed, EngineFallback.Playbook);

        await t.SignalAsync("s-1");

        var call = Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineCalled));
        Assert.Equal(("MALFORMED_OUTPUT", 150), (call.GetProperty("result").GetString(), call.GetProperty("chargedTokens").GetInt32()));
        var fallback = Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineFallback));
        Assert.Equal(("MALFORMED_OUTPUT", "PLAYBOOK"), (fallback.GetProperty("reason").GetString(), fallback.GetProperty("fallback").GetString()));
        Assert.Equal("playbook", Assert.Single(await PayloadsAsync(t, LedgerTypes.DecisionProposed)).GetProperty("engine").GetString());
    }

    [Fact]
    public async Task ATimeoutDefersWithTheSignalsHeldChargesTheWholeReservationAndTheRunHappensLater()
    {
        var t = await TenantAsync();
        await UseChatAsync(t, FakeChatServer.Slow, EngineFallback.Defer);
        var before = fixture.Counted.GetValueOrDefault(("autonomy.gate.deferred", "ENGINE_TIMEOUT"));

        await t.SignalAsync("s-1");

        Assert.True(fixture.Counted.GetValueOrDefault(("autonomy.gate.deferred", "ENGINE_TIMEOUT")) > before);

        var call = Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineCalled));
        Assert.Equal("TIMEOUT", call.GetProperty("result").GetString());
        Assert.Equal(call.GetProperty("reservedTokens").GetInt64(), call.GetProperty("chargedTokens").GetInt64());
        var fallback = Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineFallback));
        Assert.Equal(("ENGINE_TIMEOUT", "DEFER"), (fallback.GetProperty("reason").GetString(), fallback.GetProperty("fallback").GetString()));
        var retryAt = fallback.GetProperty("retryAt").GetDateTimeOffset();
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.DecisionProposed));
        Assert.Equal(call.GetProperty("reservedTokens").GetInt64(), (await t.Tenant.GetEngineAsync()).EngineTokensUsedToday);

        // The endpoint recovers; the held run goes through after its retry time, with its signal.
        await UseChatAsync(t, FakeChatServer.Ok, EngineFallback.Defer);
        _cluster.Clock.Advance(retryAt + TimeSpan.FromSeconds(1) - _cluster.Clock.GetUtcNow());
        await t.Account.PollAsync();
        await Eventually.UntilAsync(async () => (await t.LedgerAsync(type: LedgerTypes.DecisionProposed)).Length == 1, TimeSpan.FromSeconds(30), "the deferred run");
        var fired = (await PayloadsAsync(t, LedgerTypes.TriggerFired)).Last();
        Assert.Equal("s-1", fired.GetProperty("signals")[0].GetProperty("id").GetString());
        Assert.Equal("chat", Assert.Single(await PayloadsAsync(t, LedgerTypes.DecisionProposed)).GetProperty("engine").GetString());
    }

    [Fact]
    public async Task AnErrorStatusChargesNothingAndDefers()
    {
        var t = await TenantAsync();
        await UseChatAsync(t, FakeChatServer.Error, EngineFallback.Defer);

        await t.SignalAsync("s-1");

        var call = Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineCalled));
        Assert.Equal(("FAILED", 0), (call.GetProperty("result").GetString(), call.GetProperty("chargedTokens").GetInt32()));
        Assert.Equal("ENGINE_FAILED", Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineFallback)).GetProperty("reason").GetString());
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.DecisionProposed));
        Assert.Equal(0, (await t.Tenant.GetEngineAsync()).EngineTokensUsedToday);
    }

    [Fact]
    public async Task AnExhaustedTokenBudgetDefersWithoutCallingTheEngine()
    {
        var t = await TenantAsync(CostBudget.Default with { EngineTokensPerDay = 10 });
        await UseChatAsync(t, FakeChatServer.Ok, EngineFallback.Defer);
        var before = fixture.Counted.GetValueOrDefault(("autonomy.gate.deferred", "TOKEN_BUDGET_EXHAUSTED"));

        await t.SignalAsync("s-1");

        var gate = Assert.Single(await PayloadsAsync(t, LedgerTypes.CostGate));
        Assert.Equal(("DEFER", "TOKEN_BUDGET_EXHAUSTED"), (gate.GetProperty("verdict").GetString(), gate.GetProperty("reason").GetString()));
        Assert.False(gate.GetProperty("tokens").GetProperty("granted").GetBoolean());
        var fallback = Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineFallback));
        Assert.Equal(("TOKEN_BUDGET_EXHAUSTED", "DEFER"), (fallback.GetProperty("reason").GetString(), fallback.GetProperty("fallback").GetString()));
        Assert.Empty(await t.LedgerAsync(type: LedgerTypes.DecisionProposed));
        Assert.Equal(0, RequestsOf(t));
        Assert.Equal(0, (await t.Tenant.GetAutonomyAsync()).DecisionRunsUsedToday);
        Assert.True(fixture.Counted.GetValueOrDefault(("autonomy.gate.deferred", "TOKEN_BUDGET_EXHAUSTED")) > before);
    }

    [Fact]
    public async Task AnExhaustedTokenBudgetLetsThePlaybookAnswerWhenTheTenantSaysSo()
    {
        var t = await TenantAsync(CostBudget.Default with { EngineTokensPerDay = 10 });
        await UseChatAsync(t, FakeChatServer.Ok, EngineFallback.Playbook);

        await t.SignalAsync("s-1");

        var gate = Assert.Single(await PayloadsAsync(t, LedgerTypes.CostGate));
        Assert.Equal(("ALLOW", "playbook"), (gate.GetProperty("verdict").GetString(), gate.GetProperty("engine").GetString()));
        var fallback = Assert.Single(await PayloadsAsync(t, LedgerTypes.EngineFallback));
        Assert.Equal(("TOKEN_BUDGET_EXHAUSTED", "PLAYBOOK"), (fallback.GetProperty("reason").GetString(), fallback.GetProperty("fallback").GetString()));
        Assert.Equal("playbook", Assert.Single(await PayloadsAsync(t, LedgerTypes.DecisionProposed)).GetProperty("engine").GetString());
        Assert.Equal(0, RequestsOf(t));
    }

    [Fact]
    public async Task TheKeyIsSentToItsHostButNeverShownNorLedgeredAndNeverFollowsANewHost()
    {
        var t = await TenantAsync();
        await UseChatAsync(t, FakeChatServer.Ok, EngineFallback.Defer);
        await t.SignalAsync("s-1");
        Assert.Equal(1, RequestsOf(t));

        // Without a key and on the same base URL, the stored key is kept.
        await t.Tenant.SetEngineAsync(new EngineSettings(EngineKind.Chat, EngineFallback.Defer, new ChatSettings(_chat.BaseUrl, FakeChatServer.Ok, null, 64, 0, 0)), Scenario.Admin);
        await t.SignalAsync("s-2");
        Assert.Equal(2, RequestsOf(t));
        Assert.True((await t.Tenant.GetEngineAsync()).Engine.Chat!.ApiKeySet);

        // Another base URL (the same server by another name) without a key: the key stays behind.
        var other = _chat.BaseUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        await t.Tenant.SetEngineAsync(new EngineSettings(EngineKind.Chat, EngineFallback.Defer, new ChatSettings(other, FakeChatServer.Ok, null, 64, 0, 0)), Scenario.Admin);
        Assert.False((await t.Tenant.GetEngineAsync()).Engine.Chat!.ApiKeySet);
        await t.SignalAsync("s-3");
        Assert.Equal(2, RequestsOf(t));

        var everything = string.Join('\n', (await t.LedgerAsync()).Select(e => e.Payload))
            + JsonSerializer.Serialize(await t.Tenant.GetEngineAsync())
            + JsonSerializer.Serialize(await t.Tenant.GetAutonomyAsync())
            + JsonSerializer.Serialize(await t.Tenant.GetHistoryAsync());
        Assert.DoesNotContain(Key(t), everything, StringComparison.Ordinal);
        Assert.Contains("\"apiKeySet\":true", string.Join('\n', (await t.LedgerAsync(type: LedgerTypes.ConfigChanged)).Select(e => e.Payload)), StringComparison.Ordinal);
    }
}

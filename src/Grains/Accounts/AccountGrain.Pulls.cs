using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Actions;
using Autonomy.Common;
using Autonomy.Connectors;
using Autonomy.Ledger;
using Autonomy.Perception;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace Autonomy.Accounts;

/// <summary>
/// Perception pulls. The heat-following reminder tick decides which of the tenant's connectors is due (the pull
/// planner), and a one-shot timer fires at the earliest due pull between ticks (a fresh signal, an account turning
/// hot, a cadence shorter than the tick). A due pull is ledgered (PULL_SCHEDULED), then throttled per tenant and connector (PULL_DEFERRED), then
/// counted against the tenant's daily pull budget (PULL_SKIPPED); only then, with its entries durable, is the connector
/// called, and what it brings goes through the normal ingest path (signals idempotent by id, posture through the
/// update). The call is bounded by the connector's timeout and the webhook total timeout, below Orleans' response
/// timeout, so a slow system fails the pull (PULL_FAILED), never the account's turn.
/// </summary>
public sealed partial class AccountGrain
{
    public Task PullAsync() => PullDueAsync();

    /// <summary>Plans every connector's cadence for the account as it is now, and runs the pulls that are due.</summary>
    private async Task PullDueAsync()
    {
        if (!state.State.Exists)
        {
            return;
        }

        var config = await PullConfigAsync();
        var now = time.GetUtcNow();
        var planned = Planned(state.State, config, now);
        if (!planned.SequenceEqual(state.State.Pulls))
        {
            await WriteAsync(state.State with { Pulls = planned });
        }

        // At most one connector is called per turn, so the turn stays within one call's bound whatever the number of
        // connectors; another due one is pulled in the next turn (the timer fires at once), and signals interleave.
        foreach (var connector in config.Connectors)
        {
            if (PullPlanner.IsDue(state.State.Pulls[connector.Name], now) && await PullOneAsync(connector, config.PullsPerDay, now))
            {
                break;
            }
        }

        ArmPullTimer();
    }

    /// <summary>One due pull: scheduled, throttled, counted, called, ingested, completed; each step ledgered. True when the connector was called.</summary>
    private async Task<bool> PullOneAsync(ConnectorConfig connector, long pullsPerDay, DateTimeOffset now)
    {
        var pullId = "pull_" + Ids.Sortable(time);
        var batch = NewBatch();
        var plan = state.State.Pulls[connector.Name];
        batch.Add(LedgerTypes.PullScheduled, pullId, "system", new PullScheduledPayload(connector.Name, plan.Tier, plan.Interval.TotalSeconds, plan.NextPullAt, plan.LastPullAt, "DUE"));

        var throttle = await GrainFactory.GetGrain<IConnectorThrottleGrain>($"{TenantId}/{connector.Name}").TakeAsync(connector.Throttle);
        if (!throttle.Granted)
        {
            var retry = throttle.RetryAt!.Value + (PullPlanner.ThrottleSpread * PullPlanner.Phase($"{JitterKey}/{connector.Name}/retry"));
            batch.Add(LedgerTypes.PullDeferred, pullId, "system", new PullDeferredPayload(
                connector.Name, "THROTTLED", retry, throttle.TokensLeft, connector.Throttle.Burst, connector.Throttle.Tokens * (TimeSpan.FromMinutes(1) / connector.Throttle.Per)));
            await CommitAsync(batch, WithPull(connector.Name, PullPlanner.Deferred(plan, retry)));
            PullMetrics.Decided(connector.Kind, "DEFERRED", "THROTTLED");
            return false;
        }

        var budget = await GrainFactory.GetGrain<IPullCounterGrain>(TenantId).ReserveAsync(pullsPerDay);
        if (!budget.Granted)
        {
            var retry = budget.ResetsAt + (PullPlanner.BudgetSpread * PullPlanner.Phase($"{JitterKey}/{connector.Name}/budget"));
            batch.Add(LedgerTypes.PullSkipped, pullId, "system", new PullSkippedPayload(connector.Name, "BUDGET_EXHAUSTED", budget.UsedToday, budget.PerDay, retry));
            await CommitAsync(batch, WithPull(connector.Name, PullPlanner.Skipped(plan, retry)));
            PullMetrics.Decided(connector.Kind, "SKIPPED", "BUDGET_EXHAUSTED");
            return false;
        }

        // Ledger first: the pull is on record before the tenant's system is called.
        await batch.FlushAsync();
        PulledData data;
        try
        {
            data = await connectors.For(connector.Kind)
                .PullAsync(connector, new PullRequest(TenantId, AccountId, plan.LastPullAt, now), CancellationToken.None);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or TimeoutException or InvalidDataException or JsonException or BrokenCircuitException or UriFormatException)
        {
            await PullFailedAsync(connector, pullId, plan, ex, now);
            return true;
        }

        var actor = new Actor($"connector/{connector.Name}", []);
        var ingested = data.Signals.IsEmpty ? new IngestResult(0, 0) : await IngestSignalsAsync(data.Signals, actor);
        var postureChanged = await ApplyPulledPostureAsync(data.Posture, actor);
        var fresh = ingested.Accepted > 0 || postureChanged;
        var after = NewBatch();
        var next = PullPlanner.Completed(state.State.Pulls[connector.Name], connector.Cadence, TierNow(), PullTuning.Default, fresh, now);
        after.Add(LedgerTypes.PullCompleted, pullId, "system", new PullCompletedPayload(
            connector.Name, data.Signals.Length, ingested.Accepted, ingested.Duplicates, data.Dropped, postureChanged, fresh, next.Interval.TotalSeconds, next.NextPullAt));
        await CommitAsync(after, WithPull(connector.Name, next));
        PullMetrics.Decided(connector.Kind, "COMPLETED", fresh ? "FRESH" : "EMPTY");
        return true;
    }

    private async Task PullFailedAsync(ConnectorConfig connector, string pullId, PullState plan, Exception ex, DateTimeOffset now)
    {
        logger.LogWarning("Pull of {TenantId}/{AccountId} from connector {Connector} failed: {Error}", TenantId, AccountId, connector.Name, ex.Message);
        var next = PullPlanner.Failed(plan, connector.Cadence, TierNow(), now);
        var reason = ex is OperationCanceledException or TimeoutException ? "TIMEOUT" : ex is BrokenCircuitException ? "CIRCUIT_OPEN" : ex is HttpRequestException ? "HTTP_ERROR" : "BAD_RESPONSE";
        var batch = NewBatch();
        batch.Add(LedgerTypes.PullFailed, pullId, "system", new PullFailedPayload(connector.Name, reason, ex.Message, next.Failures, next.NextPullAt));
        await CommitAsync(batch, WithPull(connector.Name, next));
        PullMetrics.Decided(connector.Kind, "FAILED", reason);
    }

    /// <summary>Pulled posture fields merged into the account's posture, through the normal update (ledgered, offered as a trigger) when anything changed.</summary>
    private async Task<bool> ApplyPulledPostureAsync(JsonObject? pulled, Actor actor)
    {
        if (pulled is null || pulled.Count == 0)
        {
            return false;
        }

        var merged = (state.State.Posture is { } text ? JsonNode.Parse(text) as JsonObject : null) ?? [];
        foreach (var (field, value) in pulled)
        {
            merged[field] = value?.DeepClone();
        }

        var canonical = ArgsDigest.Canonical(merged);
        if (canonical == state.State.Posture)
        {
            return false;
        }

        await UpsertAsync(new AccountUpdate(null, null, canonical, null), actor);
        return true;
    }

    /// <summary>Every enabled connector's cadence for the account's tier now, fresh pushed signals counted; connectors no longer enabled are dropped.</summary>
    private ImmutableDictionary<string, PullState> Planned(AccountState s, PullConfig config, DateTimeOffset now)
    {
        var tier = Heat.At(s.Heat ?? HeatState.Cold(now), now).Tier;
        var planned = ImmutableDictionary.CreateBuilder<string, PullState>(StringComparer.Ordinal);
        foreach (var c in config.Connectors)
        {
            var p = s.Pulls.GetValueOrDefault(c.Name) ?? PullPlanner.Start(c.Cadence, tier, PullPlanner.Phase($"{JitterKey}/{c.Name}"), now);
            p = PullPlanner.Retier(p, c.Cadence, tier);
            planned[c.Name] = s.LastSignalAt is { } at ? PullPlanner.OnSignal(p, c.Cadence, tier, PullTuning.Default, at) : p;
        }

        return planned.ToImmutable();
    }

    /// <summary>
    /// A one-shot timer for the earliest due pull, so a pull never waits for the next reminder tick (which may be a
    /// whole cold period away, or re-registered later by a tier change). Computed from the cached configuration
    /// without any call, so the ingest path can bring a pull forward for free (the first time after an activation the
    /// timer fires at once and reads it); the tick plans again anyway.
    /// </summary>
    private void ArmPullTimer()
    {
        var s = state.State;
        pullTimer?.Dispose();
        pullTimer = null;
        if (!s.Exists || pullConfig is { Connectors.IsEmpty: true })
        {
            return;
        }

        // Not read yet in this activation: plan at once (the timer reads the configuration), rather than at the next tick.
        var delay = pullConfig is { } config ? Planned(s, config, time.GetUtcNow()).Values.Min(p => p.NextPullAt) - time.GetUtcNow() : TimeSpan.Zero;
        pullTimer = this.RegisterGrainTimer(
            _ => PullOnTimerAsync(),
            new GrainTimerCreationOptions { DueTime = delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, Interleave = false });
    }

    private async Task PullOnTimerAsync()
    {
        try
        {
            await PullDueAsync();
        }
        catch (Exception ex)
        {
            // The reminder's next tick tries again.
            logger.LogError(ex, "Pulls of {TenantId}/{AccountId} failed; the next tick tries again", TenantId, AccountId);
        }
    }

    /// <summary>The tenant's enabled connectors and pull budget, read again only when the tenant's configuration version moved.</summary>
    private async Task<PullConfig> PullConfigAsync()
    {
        var version = (await TenantNowAsync()).ConfigVersion;
        if (pullConfig?.ConfigVersion != version)
        {
            pullConfig = await GrainFactory.GetGrain<Tenants.ITenantConnectorsGrain>(TenantId).GetPullConfigAsync();
        }

        return pullConfig;
    }

    private HeatTier TierNow()
    {
        var now = time.GetUtcNow();
        return Heat.At(state.State.Heat ?? HeatState.Cold(now), now).Tier;
    }

    private AccountState WithPull(string connector, PullState pull) => state.State with { Pulls = state.State.Pulls.SetItem(connector, pull) };

    /// <summary>The cadence per enabled connector as the next tick would plan it (a new account's first pull included).</summary>
    private async Task<ImmutableArray<PullView>> PullViewsAsync()
    {
        var planned = Planned(state.State, await PullConfigAsync(), time.GetUtcNow());
        return [.. planned.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new PullView(p.Key, p.Value.Tier, p.Value.Interval, p.Value.LastPullAt, p.Value.NextPullAt, p.Value.LastOutcome))];
    }
}

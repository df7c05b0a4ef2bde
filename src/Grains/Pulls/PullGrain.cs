using System.Collections.Immutable;
using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Connectors;
using Autonomy.Hosting;
using Autonomy.Perception;
using Autonomy.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Polly.CircuitBreaker;

namespace Autonomy.Pulls;

/// <summary>
/// An account's pulls. The pull planner decides which of the tenant's connectors is due; a due pull is throttled per
/// tenant and connector (PULL_DEFERRED), then counted against the tenant's daily pull budget (PULL_SKIPPED); only when
/// the account has ledgered it (PULL_SCHEDULED) is the connector called, here, outside the account's turn, and what it
/// brings goes through the account's normal ingest path (signals idempotent by id, posture through the update). The
/// account's stream has one writer, the account, so every PULL_* entry is written by it (<see cref="IAccountGrain.RecordPullAsync"/>)
/// together with the cadence it leads to. The call is bounded by the connector's timeout and the webhook total timeout,
/// so a slow system fails the pull (PULL_FAILED). A one-shot timer fires at the earliest due pull; the account's
/// reminder tick wakes this grain again after it was collected.
/// </summary>
[GrainType("autonomy.pull")]
[PreferLocalPlacement]
public sealed class PullGrain(
    Connectors.Connectors connectors,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
    ILogger<PullGrain> logger) : Grain, IPullGrain
{
    /// <summary>The tenant's connectors and pull budget as last read, by configuration version.</summary>
    private PullConfig? _config;

    /// <summary>The one-shot timer for the earliest due pull.</summary>
    private IGrainTimer? _timer;

    private string Key => this.GetPrimaryKeyString();

    private string TenantId => Ids.SplitKey(Key).TenantId;

    private string AccountId => Ids.SplitKey(Key).Id;

    private IAccountGrain Account => GrainFactory.GetGrain<IAccountGrain>(Key);

    public async Task PullAsync()
    {
        if (await PlanAsync() is not { } plan)
        {
            return;
        }

        // At most one connector is called per turn, so the turn stays within one call's bound whatever the number of
        // connectors; another due one is pulled in the next turn (the timer fires at once).
        foreach (var connector in plan.Config.Connectors)
        {
            if (PullPlanner.IsDue(plan.Pulls[connector.Name], plan.Now) && await PullOneAsync(connector, plan, plan.Now))
            {
                break;
            }
        }

        Arm(await Account.GetPullBasisAsync());
    }

    public async Task WakeAsync()
    {
        try
        {
            if (await PlanAsync() is { } plan)
            {
                Arm(plan.Basis with { Pulls = plan.Pulls });
            }
        }
        catch (Exception ex)
        {
            // Nobody waits for a wake: the account's next tick wakes this grain again.
            logger.LogError(ex, "Planning the pulls of {TenantId}/{AccountId} failed; the next tick tries again", TenantId, AccountId);
        }
    }

    public async Task<ImmutableArray<PullView>> GetViewsAsync(PullBasis basis)
    {
        var planned = PullPlanner.Plan(basis, (await ConfigAsync()).Connectors, Key, time.GetUtcNow());
        return [.. planned.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new PullView(p.Key, p.Value.Tier, p.Value.Interval, p.Value.LastPullAt, p.Value.NextPullAt, p.Value.LastOutcome))];
    }

    /// <summary>The account's pulls planned now and stored on the account when the plan moved; null for an account that does not exist.</summary>
    private async Task<Plan?> PlanAsync()
    {
        var basis = await Account.GetPullBasisAsync();
        if (!basis.Exists)
        {
            return null;
        }

        var config = await ConfigAsync();
        var now = time.GetUtcNow();
        var planned = PullPlanner.Plan(basis, config.Connectors, Key, now);
        if (!PullPlanner.Same(planned, basis.Pulls))
        {
            await Account.RecordPullAsync(new PullRecord(null, planned));
        }

        return new Plan(basis, config, planned, now);
    }

    /// <summary>One due pull: throttled, counted, ledgered, called, ingested, completed. True when the connector was called.</summary>
    private async Task<bool> PullOneAsync(ConnectorConfig connector, Plan planned, DateTimeOffset now)
    {
        var pullId = "pull_" + Ids.Sortable(time);
        var plan = planned.Pulls[connector.Name];
        var scheduled = new PullScheduledPayload(connector.Name, plan.Tier, plan.Interval.TotalSeconds, plan.NextPullAt, plan.LastPullAt, "DUE");

        var throttle = await GrainFactory.GetGrain<IConnectorThrottleGrain>($"{TenantId}/{connector.Name}").TakeAsync(connector.Throttle);
        if (!throttle.Granted)
        {
            var retry = throttle.RetryAt!.Value + (PullPlanner.ThrottleSpread * PullPlanner.Phase($"{Key}/{connector.Name}/retry"));
            await Account.RecordPullAsync(new PullRecord(pullId, planned.Pulls.SetItem(connector.Name, PullPlanner.Deferred(plan, retry)), scheduled, Deferred: new PullDeferredPayload(
                connector.Name, "THROTTLED", retry, throttle.TokensLeft, connector.Throttle.Burst, connector.Throttle.Tokens * (TimeSpan.FromMinutes(1) / connector.Throttle.Per))));
            PullMetrics.Decided(connector.Kind, "DEFERRED", "THROTTLED");
            return false;
        }

        var budget = await GrainFactory.GetGrain<IPullCounterGrain>(TenantId).ReserveAsync(planned.Config.PullsPerDay);
        if (!budget.Granted)
        {
            var retry = budget.ResetsAt + (PullPlanner.BudgetSpread * PullPlanner.Phase($"{Key}/{connector.Name}/budget"));
            await Account.RecordPullAsync(new PullRecord(pullId, planned.Pulls.SetItem(connector.Name, PullPlanner.Skipped(plan, retry)), scheduled,
                Skipped: new PullSkippedPayload(connector.Name, "BUDGET_EXHAUSTED", budget.UsedToday, budget.PerDay, retry)));
            PullMetrics.Decided(connector.Kind, "SKIPPED", "BUDGET_EXHAUSTED");
            return false;
        }

        // Ledger first: the pull is on record before the tenant's system is called.
        await Account.RecordPullAsync(new PullRecord(pullId, planned.Pulls, scheduled));
        PulledData data;
        try
        {
            data = await connectors.For(connector.Kind).PullAsync(connector, new PullRequest(TenantId, AccountId, plan.LastPullAt, now), CancellationToken.None);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or TimeoutException or InvalidDataException or JsonException or BrokenCircuitException or UriFormatException)
        {
            await PullFailedAsync(connector, pullId, plan, ex, now);
            return true;
        }

        var actor = new Actor($"connector/{connector.Name}", []);
        var ingested = data.Signals.IsEmpty ? new IngestResult(0, 0) : await Account.IngestSignalsAsync(data.Signals, actor);
        var postureChanged = data.Posture is { Count: > 0 } posture && await Account.MergePulledPostureAsync(posture.ToJsonString(), actor);
        var fresh = ingested.Accepted > 0 || postureChanged;
        var after = await Account.GetPullBasisAsync();
        var next = PullPlanner.Completed(plan, connector.Cadence, after.Tier, PullTuning.Default, fresh, now);
        await Account.RecordPullAsync(new PullRecord(pullId, after.Pulls.SetItem(connector.Name, next), Completed: new PullCompletedPayload(
            connector.Name, data.Signals.Length, ingested.Accepted, ingested.Duplicates, data.Dropped, postureChanged, fresh, next.Interval.TotalSeconds, next.NextPullAt)));
        PullMetrics.Decided(connector.Kind, "COMPLETED", fresh ? "FRESH" : "EMPTY");
        return true;
    }

    private async Task PullFailedAsync(ConnectorConfig connector, string pullId, PullState plan, Exception ex, DateTimeOffset now)
    {
        logger.LogWarning("Pull of {TenantId}/{AccountId} from connector {Connector} failed: {Error}", TenantId, AccountId, connector.Name, ex.Message);
        var basis = await Account.GetPullBasisAsync();
        var next = PullPlanner.Failed(plan, connector.Cadence, basis.Tier, now);
        var reason = ex is OperationCanceledException or TimeoutException or OutgoingCallException { TimedOut: true } ? "TIMEOUT"
            : ex is BrokenCircuitException ? "CIRCUIT_OPEN" : ex is HttpRequestException ? "HTTP_ERROR" : "BAD_RESPONSE";

        // A transport failure is ledgered as its kind only: its text may name the addresses a refused name resolved to.
        var error = ex is InvalidDataException or JsonException or UriFormatException ? ex.Message : OutgoingFailure.Reason(ex);
        await Account.RecordPullAsync(new PullRecord(pullId, basis.Pulls.SetItem(connector.Name, next), Failed: new PullFailedPayload(connector.Name, reason, error, next.Failures, next.NextPullAt)));
        PullMetrics.Decided(connector.Kind, "FAILED", reason);
    }

    /// <summary>
    /// A one-shot timer for the earliest due pull, so a pull never waits for the account's next reminder tick (which
    /// may be a whole cold period away). A tenant without enabled connectors arms none.
    /// </summary>
    private void Arm(PullBasis basis)
    {
        _timer?.Dispose();
        _timer = null;
        if (!basis.Exists || _config is not { Connectors.IsEmpty: false } c)
        {
            return;
        }

        var now = time.GetUtcNow();
        var delay = PullPlanner.Plan(basis, c.Connectors, Key, now).Values.Min(p => p.NextPullAt) - now;
        _timer = this.RegisterGrainTimer(
            _ => PullOnTimerAsync(),
            new GrainTimerCreationOptions { DueTime = delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, Interleave = false });
    }

    private async Task PullOnTimerAsync()
    {
        try
        {
            await PullAsync();
        }
        catch (Exception ex)
        {
            // The account's next reminder tick tries again.
            logger.LogError(ex, "Pulls of {TenantId}/{AccountId} failed; the next tick tries again", TenantId, AccountId);
        }
    }

    /// <summary>The tenant's enabled connectors and pull budget, read again only when the tenant's configuration version moved.</summary>
    private async Task<PullConfig> ConfigAsync()
    {
        var version = (await GrainFactory.GetGrain<ITenantGrain>(TenantId).ReadAsync(AccountId, _config?.ConfigVersion ?? -1)).ConfigVersion;
        if (_config?.ConfigVersion != version)
        {
            _config = await GrainFactory.GetGrain<ITenantConnectorsGrain>(TenantId).GetPullConfigAsync();
        }

        return _config;
    }

    /// <summary>The pulls as planned at the start of a turn: the account's basis, the tenant's connectors, the cadence per connector.</summary>
    private sealed record Plan(PullBasis Basis, PullConfig Config, ImmutableDictionary<string, PullState> Pulls, DateTimeOffset Now);
}

using Autonomy.Common;
using Autonomy.Hosting;
using Autonomy.Ledger;
using Autonomy.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autonomy.Platform;

[GenerateSerializer, Alias("autonomy.PlatformState")]
public sealed record PlatformState
{
    [Id(0)] public KillSwitchView Switch { get; init; } = new("platform", false, null, null, null, 0);
}

/// <summary>The platform-wide kill switch. Stored, so an engaged switch survives restarts; ledgered under stream "platform".</summary>
[GrainType("autonomy.platform")]
public sealed class PlatformGrain(
    [PersistentState("platform", "autonomy")] IPersistentState<PlatformState> state,
    ILedger ledger,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
    ILogger<PlatformGrain> logger) : Grain, IPlatformGrain
{
    public const string LedgerTenant = "_platform";

    private LedgerStream? _stream;

    public Task<KillSwitchView> GetAsync() => Task.FromResult(state.State.Switch);

    public async Task<KillSwitchView> SetAsync(bool engaged, string? reason, Actor actor)
    {
        _stream ??= new LedgerStream(ledger, time, LedgerTenant, "platform");
        var before = state.State.Switch;
        var after = new KillSwitchView("platform", engaged, reason, time.GetUtcNow(), actor.Id, before.Version + 1);
        await _stream.AppendAsync(null, actor, new KillSwitchChangedPayload("kill-switch:platform", after.Version, before, after));
        await state.ReplaceAsync(new PlatformState { Switch = after });

        logger.LogWarning("Platform kill switch {State} by {Actor}: {Reason}", engaged ? "engaged" : "released", actor.Id, reason);
        AutonomyMetrics.KillSwitchChanged(LedgerTenant, "platform", engaged);
        this.PublishLive(new LiveEvent(LiveEventKinds.KillSwitch, LiveEvent.Platform, null, null, "platform", after.ChangedAt ?? time.GetUtcNow()), logger);
        // The platform's ledger is checkpointed like a tenant's (one way: the switch is already set).
        GrainFactory.GetGrain<ILedgerCheckpointGrain>(LedgerTenant).StartAsync().Ignore();
        return after;
    }
}

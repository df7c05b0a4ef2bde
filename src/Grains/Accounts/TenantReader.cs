using Autonomy.Learning;
using Autonomy.Tenants;
using Autonomy.Triggers;

namespace Autonomy.Accounts;

/// <summary>
/// An account activation's reading of its tenant. Kill switches, the Mode 4 opt-in and the ranking pointer are read
/// fresh on every call; the configuration is cached by version, the ingest path's trigger registry for a few seconds
/// (it decides no safety question), and the active ranking model by version.
/// </summary>
internal sealed class TenantReader(IGrainFactory grains, string tenantId, string accountId, TimeSpan triggerCacheTtl, ILogger logger)
{
    private TenantSnapshot? _config;
    private (TriggerRegistry Registry, DateTimeOffset ReadAt)? _triggers;
    private (string? Version, RankingModel? Model) _rankingModel;

    /// <summary>The tenant now: switches and the opt-in fresh, the configuration as of its current version.</summary>
    public async Task<TenantSnapshot> NowAsync()
    {
        var reading = await grains.ByKey<ITenantGrain>(tenantId).ReadAsync(accountId, _config?.ConfigVersion ?? -1);
        _config = reading.Configuration ?? _config!;
        return _config with { KillSwitches = reading.KillSwitches, AccountOptedIn = reading.AccountOptedIn, Ranking = reading.Ranking };
    }

    /// <summary>The tenant now; null when it cannot be read (its switches then count as engaged).</summary>
    public async Task<TenantSnapshot?> NowOrNullAsync()
    {
        try
        {
            return await NowAsync();
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Tenant {TenantId} unreadable; its kill switches count as engaged", tenantId);
            return null;
        }
    }

    /// <summary>
    /// Whether the tenant pulls from any connector, as of the configuration last read (true before any read): an
    /// account of a tenant without connectors has no pulls to plan.
    /// </summary>
    public bool HasConnectors => _config is not { EnabledConnectors: 0 };

    /// <summary>Whether the tenant pulls from any connector now (the configuration read fresh).</summary>
    public async Task<bool> HasConnectorsAsync() => (await NowAsync()).EnabledConnectors > 0;

    /// <summary>The trigger registry for the ingest path, reused for <c>triggerCacheTtl</c>.</summary>
    public ValueTask<TriggerRegistry> TriggersAsync(DateTimeOffset now) =>
        _triggers is { } cached && now - cached.ReadAt < triggerCacheTtl ? ValueTask.FromResult(cached.Registry) : ReadTriggersAsync(now);

    private async ValueTask<TriggerRegistry> ReadTriggersAsync(DateTimeOffset now)
    {
        var registry = (await NowAsync()).Triggers;
        _triggers = (registry, now);
        return registry;
    }

    /// <summary>The active ranking model by version, fetched from the ranking grain only after a promotion or rollback (null: the prior).</summary>
    public async Task<RankingModel?> RankingModelAsync(string? version)
    {
        if (version is not null && _rankingModel.Version != version) _rankingModel = (version, await grains.ByKey<IRankingGrain>(tenantId).GetModelAsync(version));
        return version is null ? null : _rankingModel.Model;
    }
}

using System.Collections.Immutable;
using Autonomy.Common;
using Autonomy.Connectors;

namespace Autonomy.Tenants;

/// <summary>A tenant's connectors (perception pulls): configured by an admin, read by accounts when they pull. Key: the tenant id.</summary>
[Alias("autonomy.pulls.ITenantConnectorsGrain")]
public interface ITenantConnectorsGrain : IGrainWithStringKey
{
    /// <summary>Returns one connector without its secret; 404 when the tenant has no connector of that name.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("pulls.GetConnector"), Orleans.Concurrency.ReadOnly]
    Task<ConnectorView> GetConnectorAsync(string name);

    /// <summary>
    /// Creates or replaces a connector; with <paramref name="keepSecret"/> (the caller sent none) the stored secret stays
    /// while the endpoint's origin and the auth header are unchanged, and is dropped otherwise.
    /// Ledgered as CONFIG_CHANGED without the secret; returns the connector as stored, without its secret.
    /// </summary>
    [Alias("pulls.PutConnector")]
    Task<ConnectorView> PutConnectorAsync(ConnectorConfig config, bool keepSecret, Actor actor);

    /// <summary>The enabled connectors (with their secrets, for the pulling account only) and the daily pull budget.</summary>
    [Alias("pulls.GetPullConfig"), Orleans.Concurrency.ReadOnly]
    Task<PullConfig> GetPullConfigAsync();
}

public sealed partial class TenantGrain : ITenantConnectorsGrain
{
    public Task<ConnectorView> GetConnectorAsync(string name) =>
        state.State.Connectors.TryGetValue(name, out var c)
            ? Task.FromResult(c.View())
            : throw new NotFoundException($"Connector {name} is not configured; create it with PUT .../connectors/{name}.");

    public async Task<ConnectorView> PutConnectorAsync(ConnectorConfig config, bool keepSecret, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(config);
        var connectors = state.State.Connectors;
        var before = connectors.GetValueOrDefault(config.Name);
        if (before is null && connectors.Count >= ConnectorConfig.MaxPerTenant)
        {
            throw new ConflictException("TOO_MANY_CONNECTORS", $"A tenant may configure at most {ConnectorConfig.MaxPerTenant} connectors.");
        }

        // A secret left out stays only while the endpoint's host and the auth header do (ConnectorSecret.Carried).
        var stored = config with { Secret = ConnectorSecret.Carried(before, config, keepSecret), Version = state.State.Version + 1 };

        // Before and after as views: who changed what is ledgered, the secret never is (only whether it is set, and changed).
        var rotated = !string.Equals(stored.Secret, before?.Secret, StringComparison.Ordinal);
        await ChangeAsync(
            $"connector:{config.Name}", actor, before?.View(), new ConnectorChange(stored.View(), rotated),
            s => s with { Connectors = s.Connectors.SetItem(stored.Name, stored) });
        return stored.View();
    }

    public Task<PullConfig> GetPullConfigAsync()
    {
        var s = state.State;
        var enabled = s.Connectors.Values.Where(c => c.Enabled).OrderBy(c => c.Name, StringComparer.Ordinal).ToImmutableArray();
        return Task.FromResult(new PullConfig(s.Version, enabled, s.Cost.PullsPerDay));
    }
}

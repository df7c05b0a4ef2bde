using Autonomy.Common;

namespace Autonomy.Tenants;

/// <summary>The tenant's external anchor of ledger checkpoints: a setting like the executor's, ledgered as CONFIG_CHANGED.</summary>
public sealed partial class TenantGrain
{
    public Task<long> SetCheckpointAnchorAsync(string? url, Actor actor) =>
        ChangeAsync("checkpoint-anchor", actor, state.State.CheckpointAnchorUrl, url, s => s with { CheckpointAnchorUrl = url });

    public Task<string?> GetCheckpointAnchorAsync() => Task.FromResult(state.State.CheckpointAnchorUrl);
}

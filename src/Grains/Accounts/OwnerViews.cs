using System.Collections.Immutable;
using Autonomy.Sellers;

namespace Autonomy.Accounts;

/// <summary>
/// What an account shows its owner: the owner's seller grain keeps the needs-input queue, the "Autopilot did X"
/// timeline and the digest's skipped items. An account nobody owns has none, so owner-less accounts never share one hot grain.
/// </summary>
internal readonly struct OwnerViews(IGrainFactory grains, string tenantId)
{
    /// <summary>The seller grain of <paramref name="sellerId"/>; null for none or <see cref="AccountGrain.Unassigned"/>.</summary>
    public ISellerGrain? Of(string? sellerId) => sellerId is { } id and not AccountGrain.Unassigned ? grains.ByKey<ISellerGrain>($"{tenantId}/{id}") : null;

    public Task RemoveAsync(ProposalView? view) => (view is null ? null : Of(view.SellerId)?.RemoveNeedsInputAsync(view.ProposalId)) ?? Task.CompletedTask;

    public Task RecordAsync(ActionView action) => Of(action.SellerId)?.RecordActionAsync(action) ?? Task.CompletedTask;

    public Task SkippedAsync(string? owner, SkippedItem item) => Of(owner)?.RecordSkippedAsync(item) ?? Task.CompletedTask;

    /// <summary>A run's results: expired proposals out of needs-input, new ones in, actions to the timeline.</summary>
    public async Task PublishAsync(string? owner, ImmutableArray<RoutedProposal> routed)
    {
        if (Of(owner) is not { } seller) return;
        foreach (var evicted in routed.SelectMany(r => r.Evicted)) await seller.RemoveNeedsInputAsync(evicted.ProposalId);
        if (routed.Any(r => r.Waiting is not null)) await seller.AddNeedsInputAsync([.. routed.Select(r => r.Waiting).OfType<ProposalView>()]);
        foreach (var action in routed.Select(r => r.Done).OfType<ActionView>()) await seller.RecordActionAsync(action);
    }

    /// <summary>After an owner change, the pending proposals leave the old owner's needs-input for the new one's.</summary>
    public async Task HandOverAsync(AccountState before, AccountState after)
    {
        if (before.OwnerId == after.OwnerId) return;
        if (Of(before.OwnerId) is { } old)
        {
            foreach (var id in after.Pending.Keys.ToList()) await old.RemoveNeedsInputAsync(id);
        }

        if (Of(after.OwnerId) is { } owner && !after.Pending.IsEmpty) await owner.AddNeedsInputAsync([.. after.Pending.Values.Select(p => p.View)]);
    }
}

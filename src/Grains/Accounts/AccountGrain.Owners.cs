using System.Collections.Immutable;
using Autonomy.Common;
using Autonomy.Ledger;

namespace Autonomy.Accounts;

/// <summary>Owners and the Mode 4 opt-in: who sees the account's proposals, and whether its schedules may act alone.</summary>
public sealed partial class AccountGrain
{
    public async Task<AccountView> SetAutonomousSchedulesAsync(bool enabled, Actor actor)
    {
        if (enabled)
        {
            if (state.State.OwnerId is null)
            {
                throw new ConflictException("OWNER_REQUIRED", "Autonomous schedules need an account owner: set ownerId with PUT .../accounts/{accountId} first.");
            }

            if (!(await Seller()!.GetDigestSettingsAsync()).Enabled)
            {
                throw new ConflictException("OWNER_DIGEST_DISABLED", $"Autonomous schedules need the owner's daily digest switched on: PUT .../sellers/{state.State.OwnerId}/digest-settings with enabled=true.");
            }
        }

        if (enabled)
        {
            // The owner's seller counts its opted-in accounts (SellerState.MaxScheduleOptIns) before the tenant's opt-in,
            // the copy the policy reads, is stored: a seller at its bound refuses the opt-in, which then never holds.
            // Should the tenant then fail, the seller tracks one account too many, which only means a revocation
            // that changes nothing when the digest is switched off; never an opt-in the seller cannot revoke.
            await Seller()!.TrackScheduleOptInAsync(AccountId, true);
            await Tenant.SetScheduleOptInAsync(AccountId, true, actor);
        }
        else
        {
            await Tenant.SetScheduleOptInAsync(AccountId, false, actor);
            if (Seller() is { } seller)
            {
                await seller.TrackScheduleOptInAsync(AccountId, false);
            }
        }

        await WriteAsync(Touch(state.State, time.GetUtcNow()));
        return await ViewAsync();
    }

    /// <summary>
    /// Withdraws Mode 4, ledgered with the requirement that no longer holds. The tenant's opt-in is the only copy:
    /// the policy and the account's view both read it, so nothing on the account can go stale.
    /// </summary>
    private async Task RevokeOptInAsync(LedgerBatch batch, string? owner, string reason, string explanation)
    {
        batch.Add(LedgerTypes.ScheduleOptInRevoked, null, "system", new OptInRevokedPayload(AccountId, reason, explanation));
        await batch.FlushAsync();
        await Tenant.SetScheduleOptInAsync(AccountId, false, Actor.System);
        if (Seller(owner) is { } seller)
        {
            await seller.TrackScheduleOptInAsync(AccountId, false);
        }
    }

    /// <summary>An owner change hands the pending proposals to the new owner (ledgered); none is left in the old queue.</summary>
    private AccountState MoveProposals(LedgerBatch batch, string? from, AccountState next)
    {
        if (next.Pending.IsEmpty)
        {
            return next;
        }

        var owner = next.OwnerId ?? Unassigned;
        batch.Add(LedgerTypes.ProposalsMoved, null, "system", new ProposalsMovedPayload(from, next.OwnerId, [.. next.Pending.Keys.Order(StringComparer.Ordinal)]));
        return next with { Pending = next.Pending.ToImmutableDictionary(p => p.Key, p => p.Value with { View = p.Value.View with { SellerId = owner } }) };
    }

    private async Task HandOverQueueAsync(AccountState before, AccountState after)
    {
        if (before.OwnerId == after.OwnerId)
        {
            return;
        }

        var ids = after.Pending.Keys.ToList();
        if (Seller(before.OwnerId) is { } old)
        {
            foreach (var id in ids)
            {
                await old.RemoveNeedsInputAsync(id);
            }

        }

        if (Seller(after.OwnerId) is { } owner && ids.Count > 0)
        {
            await owner.AddNeedsInputAsync([.. after.Pending.Values.Select(p => p.View)]);
        }
    }
}

namespace Autonomy.Accounts;

/// <summary>
/// Owners and the Mode 4 opt-in: who sees the account's proposals (the owner's seller grain keeps the needs-input
/// queue and the timeline), and whether its schedules may act alone.
/// </summary>
public sealed partial class AccountGrain
{
    public async Task<AccountView> SetAutonomousSchedulesAsync(bool enabled, Actor actor)
    {
        if (enabled)
        {
            if (state.State.OwnerId is null) throw new ConflictException("OWNER_REQUIRED", "Autonomous schedules need an account owner: set ownerId with PUT .../accounts/{accountId} first.");
            if (!(await Seller()!.GetDigestSettingsAsync()).Enabled)
            {
                throw new ConflictException("OWNER_DIGEST_DISABLED", $"Autonomous schedules need the owner's daily digest switched on: PUT .../sellers/{state.State.OwnerId}/digest-settings with enabled=true.");
            }

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
            await (Seller()?.TrackScheduleOptInAsync(AccountId, false) ?? Task.CompletedTask);
        }

        await WriteAsync(state.State.Touched(time.GetUtcNow()));
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
        await (Seller(owner)?.TrackScheduleOptInAsync(AccountId, false) ?? Task.CompletedTask);
    }

    /// <summary>An owner change hands the pending proposals to the new owner (ledgered); none is left in the old queue.</summary>
    private AccountState MoveProposals(LedgerBatch batch, string? from, AccountState next)
    {
        if (next.Pending.IsEmpty) return next;
        batch.Add(LedgerTypes.ProposalsMoved, null, "system", new ProposalsMovedPayload(from, next.OwnerId, [.. next.Pending.Keys.Order(StringComparer.Ordinal)]));
        return next.WithPendingShownTo(next.OwnerId ?? Unassigned);
    }

    /// <summary>After an owner change, the pending proposals leave the old owner's needs-input for the new one's.</summary>
    private async Task HandOverQueueAsync(AccountState before, AccountState after)
    {
        if (before.OwnerId == after.OwnerId) return;
        if (Seller(before.OwnerId) is { } old)
        {
            foreach (var id in after.Pending.Keys.ToList())
            {
                await old.RemoveNeedsInputAsync(id);
            }
        }

        if (Seller(after.OwnerId) is { } owner && !after.Pending.IsEmpty) await owner.AddNeedsInputAsync([.. after.Pending.Values.Select(p => p.View)]);
    }

    private Task RemoveFromQueueAsync(ProposalView view) => Seller(view.SellerId)?.RemoveNeedsInputAsync(view.ProposalId) ?? Task.CompletedTask;

    private Task RecordOnTimelineAsync(ActionView action) => Seller(action.SellerId)?.RecordActionAsync(action) ?? Task.CompletedTask;
}

using Autonomy.Actions;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Outcomes;
using Autonomy.Policy;

namespace Autonomy.Accounts;

/// <summary>The human side: approve, edit, reject, revert, late outcomes, and the Mode 4 opt-in.</summary>
public sealed partial class AccountGrain
{
    public Task<ActionView> ApproveAsync(string proposalId, string argsDigest, Actor actor) =>
        ResolveByExecutionAsync(proposalId, argsDigest, editedParameters: null, actor);

    public Task<ActionView> EditAsync(string proposalId, string argsDigest, string parameters, Actor actor) =>
        ResolveByExecutionAsync(proposalId, argsDigest, ArgsDigest.Canonical(parameters), actor);

    public async Task<ProposalView> RejectAsync(string proposalId, string? reason, Actor actor)
    {
        var pending = await PendingForAsync(proposalId, actor);
        Draft(LedgerTypes.ProposalResolved, pending.View.RunId, actor.Id, new { proposalId, resolution = "REJECTED", reason });
        Draft(LedgerTypes.OutcomeRecorded, pending.View.RunId, actor.Id, new { proposalId, outcome = OutcomeV1.IdeaRejected, taxonomy = OutcomeTaxonomyV1.Version, reason });
        await CommitAsync(state.State with { Pending = state.State.Pending.Remove(proposalId), Resolved = state.State.Resolved.SetItem(proposalId, "REJECTED") });
        await Seller(pending.View.SellerId).RemoveNeedsInputAsync(proposalId);
        return pending.View;
    }

    public async Task<ActionView> RevertAsync(string actionId, Actor actor)
    {
        drafts.Clear();
        var action = FindAction(actionId);
        Authorize(actor);
        if (action.Status == ActionStatus.Reverted)
        {
            return action;
        }

        if (!action.Revertible || action.Status != ActionStatus.Succeeded)
        {
            throw new ConflictException("NOT_REVERTIBLE", $"Action {actionId} cannot be reverted: {(action.Revertible ? "it did not succeed" : $"{action.ActionType} is not revertible")}.");
        }

        var result = await GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{actionId}").RevertAsync();
        if (!result.Succeeded)
        {
            throw new ConflictException("REVERT_FAILED", $"Action {actionId} could not be reverted: {result.Detail}");
        }

        var reverted = action with { Status = ActionStatus.Reverted, Detail = result.Detail };
        Draft(LedgerTypes.ActionReverted, action.RunId, actor.Id, new { actionId, executor = result.Executor, result.Detail });
        await CommitAsync(state.State.WithAction(reverted));
        await Seller(action.SellerId).RecordActionAsync(reverted);
        return reverted;
    }

    public async Task<ActionView> RecordOutcomeAsync(string actionId, OutcomeV1 outcome, Actor actor)
    {
        drafts.Clear();
        if (!OutcomeTaxonomyV1.IsUpstreamReport(outcome))
        {
            throw new ValidationFailedException("outcome", "Upstream may report NO_RESPONSE or NEGATIVE_RESPONSE.");
        }

        var action = FindAction(actionId) with { Outcome = outcome };
        Draft(LedgerTypes.OutcomeRecorded, action.RunId, actor.Id, new { actionId, outcome, taxonomy = OutcomeTaxonomyV1.Version, countsAgainstIdea = OutcomeTaxonomyV1.CountsAgainstIdea(outcome) });
        await CommitAsync(state.State.WithAction(action));
        await Seller(action.SellerId).RecordActionAsync(action);
        return action;
    }

    public async Task<AccountView> SetAutonomousSchedulesAsync(bool enabled, Actor actor)
    {
        drafts.Clear();
        if (enabled)
        {
            if (state.State.OwnerId is null)
            {
                throw new ConflictException("OWNER_REQUIRED", "Autonomous schedules need an account owner: set ownerId with PUT .../accounts/{accountId} first.");
            }

            var digest = await Seller().GetDigestSettingsAsync();
            if (!digest.Enabled)
            {
                throw new ConflictException("OWNER_DIGEST_DISABLED", $"Autonomous schedules need the owner's daily digest switched on: PUT .../sellers/{state.State.OwnerId}/digest-settings with enabled=true.");
            }
        }

        await Tenant.SetScheduleOptInAsync(AccountId, enabled, actor);
        await WriteAsync(Touch(state.State, time.GetUtcNow()) with { AutonomousSchedules = enabled });
        return await ViewAsync();
    }

    /// <summary>
    /// Approve and edit: bound to the digest the human saw, blocked by any kill switch, executed once. A repeated
    /// approval of an executed proposal returns the same action; the approval is used up only with its execution.
    /// </summary>
    private async Task<ActionView> ResolveByExecutionAsync(string proposalId, string argsDigest, string? editedParameters, Actor actor)
    {
        drafts.Clear();
        if (state.State.Resolved.TryGetValue(proposalId, out var resolution) && state.State.Actions.FirstOrDefault(a => a.ActionId == resolution) is { } already)
        {
            Authorize(actor);
            return already;
        }

        var pending = await PendingForAsync(proposalId, actor);
        var view = pending.View;
        if (view.Decision == PolicyDecision.Block)
        {
            throw new ConflictException("PROPOSAL_BLOCKED", $"Proposal {proposalId} cannot be executed: {view.Explanation}");
        }

        if (!string.Equals(argsDigest, view.ArgsDigest, StringComparison.Ordinal))
        {
            throw new ConflictException("ARGS_DIGEST_MISMATCH", $"The proposal changed since it was shown: argsDigest is now {view.ArgsDigest}. Reload it and decide again.");
        }

        var snapshot = await Tenant.GetSnapshotAsync(AccountId);
        var switches = await FreshKillSwitchesAsync();
        if (switches.Stops(view.ActionType))
        {
            throw new ConflictException("KILL_SWITCH_ENGAGED", $"A kill switch covering {view.ActionType} is engaged; nothing executes until it is released.");
        }

        var spec = snapshot.Catalog.GetValueOrDefault(view.ActionType)
            ?? throw new ConflictException("UNKNOWN_ACTION_TYPE", $"{view.ActionType} is no longer in the tenant's catalog.");
        var edited = editedParameters is not null && editedParameters != view.Parameters;
        var actionId = Ids.Action(AccountId, proposalId[(proposalId.LastIndexOf('.') + 1)..]);
        Draft(LedgerTypes.ProposalResolved, view.RunId, actor.Id, new
        {
            proposalId,
            actionId,
            resolution = edited ? "EDITED" : "APPROVED",
            argsDigest,
            editedParameters = edited ? Json(editedParameters) : null,
            editedArgsDigest = edited ? ArgsDigest.Compute(AccountId, view.ActionType, editedParameters!) : null,
        });

        var result = new PolicyResult(PolicyDecision.RequireApproval, view.Reason, $"Approved by {actor.Id}. {view.Explanation}", view.PolicyVersion, "human-approval");
        var (s, action) = await ExecuteAsync(state.State, view.RunId, actionId, proposalId, view.ActionType, editedParameters ?? view.Parameters, spec, autonomous: false, result, snapshot.Executor, actor.Id);
        if (edited)
        {
            action = action with { Outcome = OutcomeV1.IdeaEdited };
            Draft(LedgerTypes.OutcomeRecorded, view.RunId, actor.Id, new { actionId, proposalId, outcome = OutcomeV1.IdeaEdited, taxonomy = OutcomeTaxonomyV1.Version });
            s = s.WithAction(action);
        }

        await CommitAsync(s with { Pending = s.Pending.Remove(proposalId), Resolved = s.Resolved.SetItem(proposalId, actionId) });
        await Seller(view.SellerId).RemoveNeedsInputAsync(proposalId);
        await Seller(view.SellerId).RecordActionAsync(action);
        return action;
    }

    /// <summary>The pending proposal, after authorization and expiry; an expired one is resolved EXPIRED and refused.</summary>
    private async Task<PendingProposal> PendingForAsync(string proposalId, Actor actor)
    {
        Authorize(actor);
        var now = time.GetUtcNow();
        if (state.State.Pending.TryGetValue(proposalId, out var pending) && pending.View.ExpiresAt <= now)
        {
            await ExpireOverdueAsync(now);
        }

        if (state.State.Pending.TryGetValue(proposalId, out pending))
        {
            return pending;
        }

        if (state.State.Resolved.TryGetValue(proposalId, out var resolution))
        {
            throw new ConflictException(
                resolution == "EXPIRED" ? "PROPOSAL_EXPIRED" : "PROPOSAL_RESOLVED",
                resolution == "EXPIRED" ? $"Proposal {proposalId} expired before anyone answered it." : $"Proposal {proposalId} was already resolved ({resolution}).");
        }

        throw new NotFoundException($"Proposal {proposalId} does not exist.");
    }

    private ActionView FindAction(string actionId) =>
        state.State.Actions.FirstOrDefault(a => a.ActionId == actionId) ?? throw new NotFoundException($"Action {actionId} does not exist.");

    /// <summary>Admins act on every account of their tenant; a seller only on accounts it owns.</summary>
    private void Authorize(Actor actor)
    {
        if (actor.Has(Actor.Admin) || actor == Actor.System)
        {
            return;
        }

        if (actor.Has(Actor.Seller) && actor.Id == state.State.OwnerId)
        {
            return;
        }

        throw new ForbiddenException($"{actor.Id} may not act on account {AccountId}: only its owner or an admin may.");
    }
}

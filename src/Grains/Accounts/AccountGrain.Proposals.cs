using System.Collections.Immutable;
using System.Text.Json;
using Autonomy.Actions;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Outcomes;
using Autonomy.Policy;

namespace Autonomy.Accounts;

/// <summary>The human side: approve, edit, reject, revert, late outcomes and expiry.</summary>
public sealed partial class AccountGrain
{
    public Task<ActionView> ApproveAsync(string proposalId, string argsDigest, Actor actor) =>
        ResolveByExecutionAsync(proposalId, argsDigest, editedParameters: null, actor);

    public Task<ActionView> EditAsync(string proposalId, string argsDigest, string parameters, Actor actor) =>
        ResolveByExecutionAsync(proposalId, argsDigest, ArgsDigest.Canonical(parameters), actor);

    public async Task<ProposalView> RejectAsync(string proposalId, string? reason, Actor actor)
    {
        var batch = NewBatch();
        var pending = await PendingForAsync(proposalId, actor);
        batch.Add(LedgerTypes.ProposalResolved, pending.View.RunId, actor.Id, new ProposalResolvedPayload(proposalId, "REJECTED", Reason: reason));
        batch.Add(LedgerTypes.OutcomeRecorded, pending.View.RunId, actor.Id, new OutcomeRecordedPayload(null, proposalId, OutcomeV1.IdeaRejected, OutcomeTaxonomyV1.Version, reason));
        await CommitAsync(batch, state.State.WithResolved(proposalId, "REJECTED"));
        await RemoveFromQueueAsync(pending.View);
        return pending.View;
    }

    /// <summary>Undoes a revertible action: the intent is durable before the executor's revert, the result after it.</summary>
    public async Task<ActionView> RevertAsync(string actionId, Actor actor)
    {
        var batch = NewBatch();
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

        batch.Add(LedgerTypes.ActionRevertRequested, action.RunId, actor.Id, new ActionRevertPayload(actionId, Switches: await FreshKillSwitchesAsync()));
        await batch.FlushAsync();
        var result = await GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{actionId}").RevertAsync();
        if (!result.Succeeded)
        {
            batch.Add(LedgerTypes.ActionRevertFailed, action.RunId, actor.Id, new ActionRevertPayload(actionId, result.Executor, result.Detail));
            await batch.FlushAsync();
            throw new ConflictException("REVERT_FAILED", $"Action {actionId} could not be reverted: {result.Detail}");
        }

        var reverted = action with { Status = ActionStatus.Reverted, Detail = result.Detail };
        batch.Add(LedgerTypes.ActionReverted, action.RunId, actor.Id, new ActionRevertPayload(actionId, result.Executor, result.Detail));
        await CommitAsync(batch, state.State.WithAction(reverted));
        await RecordOnTimelineAsync(reverted);
        return reverted;
    }

    public async Task<ActionView> RecordOutcomeAsync(string actionId, OutcomeV1 outcome, Actor actor)
    {
        var batch = NewBatch();
        if (!OutcomeTaxonomyV1.IsUpstreamReport(outcome))
        {
            throw new ValidationFailedException("outcome", "Upstream may report NO_RESPONSE or NEGATIVE_RESPONSE.");
        }

        var action = FindAction(actionId) with { Outcome = outcome };
        batch.Add(LedgerTypes.OutcomeRecorded, action.RunId, actor.Id, new OutcomeRecordedPayload(actionId, action.ProposalId, outcome, OutcomeTaxonomyV1.Version, CountsAgainstIdea: OutcomeTaxonomyV1.CountsAgainstIdea(outcome)));
        await CommitAsync(batch, state.State.WithAction(action));
        await RecordOnTimelineAsync(action);
        return action;
    }

    /// <summary>
    /// Approve and edit: bound to the digest the human saw, re-run through the policy on today's configuration,
    /// cleared against the kill switches after the ledger flush, executed once. A repeated approval of an executed
    /// proposal returns the same action; the approval is used up only with its execution.
    /// </summary>
    private async Task<ActionView> ResolveByExecutionAsync(string proposalId, string argsDigest, string? editedParameters, Actor actor)
    {
        var batch = NewBatch();
        if (state.State.ResolutionOf(proposalId) is { } resolution && state.State.Actions.FirstOrDefault(a => a.ActionId == resolution) is { } already)
        {
            Authorize(actor);
            return already;
        }

        var view = (await PendingForAsync(proposalId, actor)).View;
        if (!string.Equals(argsDigest, view.ArgsDigest, StringComparison.Ordinal))
        {
            throw new ConflictException("ARGS_DIGEST_MISMATCH", $"The proposal changed since it was shown: argsDigest is now {view.ArgsDigest}. Reload it and decide again.");
        }

        var actionId = ActionIdOf(proposalId);
        if (state.State.InFlight.Count >= AccountState.MaxInFlight && !state.State.InFlight.ContainsKey(actionId))
        {
            // The bound on executions of unknown outcome holds for humans too; an approval already in flight may be asked again.
            throw new ConflictException("EXECUTIONS_PENDING",
                $"{state.State.InFlight.Count} executions of this account await their executor's answer (at most {AccountState.MaxInFlight}); approve again once they are settled.");
        }

        var snapshot = await FreshTenantAsync() ?? throw SwitchesUnreadable(view.ActionType);
        var (check, input) = await RecheckAsync(batch, view, snapshot);
        var edited = editedParameters is not null && editedParameters != view.Parameters;
        batch.Add(LedgerTypes.ProposalResolved, view.RunId, actor.Id, new ProposalResolvedPayload(
            proposalId, edited ? "EDITED" : "APPROVED", actionId, argsDigest,
            edited ? Json(editedParameters) : null, edited ? ArgsDigest.Compute(AccountId, view.ActionType, editedParameters!) : null, Policy: check.Policy));
        var (clearance, tenant) = await ClearToExecuteAsync(batch, view.RunId, null, actionId, input, now => ExecutionClearance.Approved(HumanApproval.Answering(view.Decision, view.Reason), now));
        if (!clearance.Cleared)
        {
            // Changed while the approval was written: refused for now; the next approval's recheck resolves it if it must.
            throw clearance.Policy.Reason == PolicyReason.KillSwitch
                ? KillSwitchEngaged(view.ActionType)
                : new ConflictException(ReasonCode(clearance.Policy.Reason), $"The policy no longer allows proposal {proposalId}: {clearance.Policy.Explanation}");
        }

        var spec = tenant!.Catalog[view.ActionType];
        // A proposal shown blocked by a kill switch now executes on the policy's answer of today, not on the switch.
        var (reason, explanation) = view.Reason == PolicyReason.KillSwitch ? (check.Policy.Reason, check.Policy.Explanation) : (view.Reason, view.Explanation);
        var result = new PolicyResult(PolicyDecision.RequireApproval, reason, $"Approved by {actor.Id}. {explanation}", view.PolicyVersion, "human-approval");
        var request = Request(actionId, view.RunId, view.ActionType, editedParameters ?? view.Parameters, spec, tenant.Executor, autonomous: false);
        var (s, outcome, action, _) = await ExecuteAsync(batch, state.State.WithApprovalSent(proposalId), request, proposalId, spec, result, actor.Id);
        if (outcome == ExecutionOutcome.Stopped)
        {
            throw KillSwitchEngaged(view.ActionType);
        }

        if (outcome != ExecutionOutcome.Settled)
        {
            throw new ConflictException("EXECUTION_PENDING", $"Action {actionId} was sent to its executor but no answer came back yet; it will be settled once. Approve again to see the result.");
        }

        if (edited)
        {
            action = action! with { Outcome = OutcomeV1.IdeaEdited };
            batch.Add(LedgerTypes.OutcomeRecorded, view.RunId, actor.Id, new OutcomeRecordedPayload(actionId, proposalId, OutcomeV1.IdeaEdited, OutcomeTaxonomyV1.Version));
            s = s.WithAction(action);
        }

        await CommitAsync(batch, s.WithResolved(proposalId, actionId));
        await RemoveFromQueueAsync(view);
        await RecordOnTimelineAsync(action!);
        return action!;
    }

    /// <summary>
    /// Re-runs the policy for a human's approval on the configuration in force now (ledgered). A proposal the policy
    /// now blocks leaves the queue with the reason and is refused; a kill switch refuses it for as long as it is engaged.
    /// </summary>
    private async Task<(ApprovalCheck Check, PolicyInput Input)> RecheckAsync(LedgerBatch batch, ProposalView view, Tenants.TenantSnapshot snapshot)
    {
        var input = new PolicyInput(
            view.ActionType, snapshot.Catalog.GetValueOrDefault(view.ActionType), snapshot.ModeOf(view.ActionType), snapshot.KillSwitches,
            view.Confidence, state.State.Lifecycle, view.StartedBySchedule, snapshot.AccountOptedIn, snapshot.Policy);
        var check = HumanApproval.Recheck(HumanApproval.Answering(view.Decision, view.Reason), input);
        batch.Add(LedgerTypes.PolicyEvaluated, view.RunId, "system", new PolicyEvaluatedPayload(
            null, view.ActionType, Json(view.Parameters), input, check.Policy, snapshot.ConfigVersion, view.ProposalId, Reevaluation: true, Verdict: check.Verdict));
        switch (check.Verdict)
        {
            case ApprovalVerdict.Suggestion:
                await batch.FlushAsync();
                throw new ConflictException("PROPOSAL_BLOCKED", $"Proposal {view.ProposalId} cannot be executed: {view.Explanation}");
            case ApprovalVerdict.KillSwitch:
                await batch.FlushAsync();
                throw KillSwitchEngaged(view.ActionType);
            case ApprovalVerdict.Refused:
                batch.Add(LedgerTypes.ProposalResolved, view.RunId, "system", new ProposalResolvedPayload(view.ProposalId, "BLOCKED", Reason: ReasonCode(check.Policy.Reason), Policy: check.Policy));
                await CommitAsync(batch, state.State.WithResolved(view.ProposalId, "BLOCKED"));
                await RemoveFromQueueAsync(view);
                throw new ConflictException(ReasonCode(check.Policy.Reason), $"The policy no longer allows proposal {view.ProposalId}: {check.Policy.Explanation} It left the queue.");
            default:
                return (check, input);
        }
    }

    private static ConflictException KillSwitchEngaged(string actionType) =>
        new("KILL_SWITCH_ENGAGED", $"A kill switch covering {actionType} is engaged; nothing executes until it is released.");

    private static ConflictException SwitchesUnreadable(string actionType) =>
        new("KILL_SWITCH_ENGAGED", $"The kill switches covering {actionType} cannot be read now; they count as engaged, so nothing executes. Try again shortly.");

    private static string ReasonCode(PolicyReason reason) => WireName.Of(reason);

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

        if (state.State.ResolutionOf(proposalId) is { } resolution)
        {
            throw new ConflictException(
                resolution == "EXPIRED" ? "PROPOSAL_EXPIRED" : "PROPOSAL_RESOLVED",
                resolution == "EXPIRED" ? $"Proposal {proposalId} expired before anyone answered it." : $"Proposal {proposalId} was already resolved ({resolution}).");
        }

        throw new NotFoundException($"Proposal {proposalId} does not exist.");
    }

    /// <summary>The action id an approval of <paramref name="proposalId"/> executes under (so duplicates converge on one execution).</summary>
    private string ActionIdOf(string proposalId) => Ids.Action(AccountId, proposalId[(proposalId.LastIndexOf('.') + 1)..]);

    /// <summary>
    /// Expires the overdue proposals nobody answered. One a human approved whose execution went out of sight (the call
    /// lost on the way, recovery finding it never called) is asked for first, and closed in its execution grain's own
    /// turn: never called, it expires and a late call can no longer run it; called after all, it is tracked in flight
    /// again and settled now, so the ledger never says EXPIRED about an action that ran.
    /// </summary>
    private async Task ExpireOverdueAsync(DateTimeOffset now)
    {
        var overdue = state.State.Pending.Values.Where(p => p.View.ExpiresAt <= now && !state.State.AwaitsExecution(p.View.ProposalId)).ToList();
        if (overdue.Count == 0)
        {
            return;
        }

        var batch = NewBatch();
        var s = state.State;
        var expired = new List<ProposalView>();
        foreach (var (view, _, sent) in overdue)
        {
            var actionId = ActionIdOf(view.ProposalId);
            if (sent && (await GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{actionId}").CloseIfNeverCalledAsync()).Request is not null)
            {
                s = s with { InFlight = s.InFlight.SetItem(actionId, new InFlightExecution(actionId, view.RunId, view.ProposalId)) };
                continue;
            }

            s = Expire(batch, s, view, "ttl");
            expired.Add(view);
        }

        await CommitAsync(batch, s);
        foreach (var view in expired)
        {
            await RemoveFromQueueAsync(view);
        }

        if (expired.Count < overdue.Count)
        {
            await RecoverInFlightAsync();
        }
    }

    private static AccountState Expire(LedgerBatch batch, AccountState s, ProposalView view, string why)
    {
        batch.Add(LedgerTypes.ProposalResolved, view.RunId, "system", new ProposalResolvedPayload(view.ProposalId, "EXPIRED", Reason: why, ExpiresAt: view.ExpiresAt));
        batch.Add(LedgerTypes.OutcomeRecorded, view.RunId, "system", new OutcomeRecordedPayload(null, view.ProposalId, OutcomeV1.Expired, OutcomeTaxonomyV1.Version, why));
        return s.WithResolved(view.ProposalId, "EXPIRED");
    }

    /// <summary>
    /// Adds a proposal to the account's queue; a full queue expires its oldest proposal (ledgered) to make room.
    /// Returns the account after it and the proposals expired, to take off the owner's needs-input.
    /// </summary>
    private static (AccountState State, ImmutableArray<ProposalView> Evicted) AddPending(LedgerBatch batch, AccountState s, PendingProposal pending)
    {
        var evicted = ImmutableArray.CreateBuilder<ProposalView>();
        while (s.Pending.Count >= AccountState.MaxPending)
        {
            // An approved proposal whose execution is still in flight is answered: never the one to make room.
            var oldest = s.Pending.Values.Where(p => !s.AwaitsExecution(p.View.ProposalId)).MinBy(p => (p.View.CreatedAt, p.View.ProposalId))!.View;
            s = Expire(batch, s, oldest, "queue-full");
            evicted.Add(oldest);
        }

        return (s with { Pending = s.Pending.SetItem(pending.View.ProposalId, pending) }, evicted.ToImmutable());
    }

    private async Task RemoveFromQueueAsync(ProposalView view)
    {
        if (Seller(view.SellerId) is { } seller)
        {
            await seller.RemoveNeedsInputAsync(view.ProposalId);
        }
    }

    private async Task RecordOnTimelineAsync(ActionView action)
    {
        if (Seller(action.SellerId) is { } seller)
        {
            await seller.RecordActionAsync(action);
        }
    }

    private ActionView FindAction(string actionId) =>
        state.State.Actions.FirstOrDefault(a => a.ActionId == actionId) ?? throw new NotFoundException($"Action {actionId} does not exist.");

    private void Authorize(Actor actor)
    {
        if (!HumanApproval.MayAct(actor, state.State.OwnerId))
        {
            throw new ForbiddenException($"{actor.Id} may not act on account {AccountId}: only its owner or an admin may.");
        }
    }
}

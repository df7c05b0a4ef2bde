namespace Autonomy.Accounts;

/// <summary>
/// The human side: approve, edit, reject, revert, late outcomes and expiry; owners (whose seller grain keeps the
/// needs-input queue and the timeline) and the Mode 4 opt-in.
/// </summary>
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
        batch.Add(pending.View.RunId, actor, new ProposalResolvedPayload(proposalId, "REJECTED", Reason: reason));
        batch.Add(pending.View.RunId, actor, new OutcomeRecordedPayload(null, proposalId, OutcomeV1.IdeaRejected, OutcomeTaxonomyV1.Version, reason));
        await CommitAsync(batch, state.State.WithResolved(proposalId, "REJECTED"));
        await Owners.RemoveAsync(pending.View);
        return pending.View;
    }

    /// <summary>Undoes a revertible action: the intent is durable (with the kill switches, which do not stop a revert) before the executor's revert.</summary>
    public async Task<ActionView> RevertAsync(string actionId, Actor actor)
    {
        var batch = NewBatch();
        var action = state.State.ActionOf(actionId);
        Authorize(actor);
        if (action.Status == ActionStatus.Reverted) return action;
        AccountState.EnsureRevertible(action);
        batch.Add(action.RunId, actor, ActionRevertPayload.Requested(actionId, (await _tenant.NowOrNullAsync())?.KillSwitches ?? KillSwitchState.Unknown));
        await batch.FlushAsync();
        var result = await GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{actionId}").RevertAsync();
        if (!result.Succeeded)
        {
            batch.Add(action.RunId, actor, ActionRevertPayload.Failed(actionId, result.Executor, result.Detail));
            await batch.FlushAsync();
            throw new ConflictException("REVERT_FAILED", $"Action {actionId} could not be reverted: {result.Detail}");
        }

        var reverted = action with { Status = ActionStatus.Reverted, Detail = result.Detail };
        batch.Add(action.RunId, actor, ActionRevertPayload.Reverted(actionId, result.Executor, result.Detail));
        await CommitAsync(batch, state.State.WithAction(reverted));
        await Owners.RecordAsync(reverted);
        return reverted;
    }

    public async Task<ActionView> RecordOutcomeAsync(string actionId, OutcomeV1 outcome, Actor actor)
    {
        var batch = NewBatch();
        if (!OutcomeTaxonomyV1.IsUpstreamReport(outcome)) throw new ValidationFailedException("outcome", "Upstream may report NO_RESPONSE or NEGATIVE_RESPONSE.");
        var action = state.State.ActionOf(actionId) with { Outcome = outcome };
        batch.Add(action.RunId, actor, new OutcomeRecordedPayload(actionId, action.ProposalId, outcome, OutcomeTaxonomyV1.Version, CountsAgainstIdea: OutcomeTaxonomyV1.CountsAgainstIdea(outcome)));
        await CommitAsync(batch, state.State.WithAction(action));
        await Owners.RecordAsync(action);
        this.PublishLive(new LiveEvent(LiveEventKinds.Outcome, TenantId, SellerId, AccountId, actionId, time.GetUtcNow()), logger);
        return action;
    }

    /// <summary>
    /// Nothing outside its type's parameters schema runs, a human's edit included: an edit that fails it is a 400 naming
    /// <c>parameters</c>; a proposal whose schema has since tightened is a 409 until it is edited into it.
    /// </summary>
    private static void RequireInSchema(TenantSnapshot snapshot, ProposalView view, string parameters, bool edited)
    {
        if (snapshot.Catalog.GetValueOrDefault(view.ActionType) is not { } spec || ActionCatalog.CheckParameters(spec, parameters) is not { } error) return;
        if (edited) throw new ValidationFailedException("parameters", $"parameters do not meet the {view.ActionType} parameters schema: {error}");
        throw new ConflictException(ProposalScreen.OutOfSchema, $"The proposal's parameters no longer meet the {view.ActionType} parameters schema ({error}); edit them to approve it.");
    }

    /// <summary>
    /// Approve and edit: bound to the digest the human saw, re-run through the policy on today's configuration, cleared,
    /// executed once under the action id derived from the proposal; a repeated approval returns the same action.
    /// </summary>
    private async Task<ActionView> ResolveByExecutionAsync(string proposalId, string argsDigest, string? editedParameters, Actor actor)
    {
        var batch = NewBatch();
        if (state.State.ExecutedFor(proposalId) is { } already)
        {
            Authorize(actor);
            return already;
        }

        var view = (await PendingForAsync(proposalId, actor)).View;
        var actionId = Ids.ActionOfProposal(AccountId, proposalId);
        state.State.AdmitApproval(view, argsDigest, actionId);
        var snapshot = await _tenant.NowOrNullAsync() ?? throw HumanApproval.SwitchesUnreadable(view.ActionType);
        var edited = editedParameters is not null && editedParameters != view.Parameters;
        RequireInSchema(snapshot, view, edited ? editedParameters! : view.Parameters, edited);
        var (check, input) = await RecheckAsync(batch, view, snapshot);
        batch.Add(view.RunId, actor, new ProposalResolvedPayload(
            proposalId, edited ? "EDITED" : "APPROVED", actionId, argsDigest,
            edited ? Json(editedParameters) : null, edited ? ArgsDigest.Compute(AccountId, view.ActionType, editedParameters!) : null, Policy: check.Policy));
        var result = HumanApproval.Approved(actor.Id, (view.Reason, view.Explanation, view.PolicyVersion), check.Policy);
        var (clearance, _, executed) = await ClearAndExecuteAsync(batch, state.State.WithApprovalSent(proposalId), view.RunId, null, actionId, input,
            now => ExecutionClearance.Approved(HumanApproval.Answering(view.Decision, view.Reason), now), editedParameters ?? view.Parameters, proposalId, result, actor);

        // Changed while the approval was written: refused for now; the next approval's recheck resolves it if it must.
        if (!clearance.Cleared) throw clearance.Policy.Reason == PolicyReason.KillSwitch ? HumanApproval.KillSwitchEngaged(view.ActionType) : HumanApproval.NoLongerAllowed(proposalId, clearance.Policy);
        var (s, outcome, action, _, _) = executed!;
        if (outcome == ExecutionOutcome.Stopped) throw HumanApproval.KillSwitchEngaged(view.ActionType);
        if (outcome == ExecutionOutcome.Unsettled)
        {
            throw new ConflictException("EXECUTION_PENDING", $"Action {actionId} was sent to its executor but no answer came back yet; it will be settled once. Approve again to see the result.");
        }

        if (edited)
        {
            action = action! with { Outcome = OutcomeV1.IdeaEdited };
            batch.Add(view.RunId, actor, new OutcomeRecordedPayload(actionId, proposalId, OutcomeV1.IdeaEdited, OutcomeTaxonomyV1.Version));
            s = s.WithAction(action);
        }

        await CommitAsync(batch, s.WithResolved(proposalId, actionId));
        await Owners.RemoveAsync(view);
        await Owners.RecordAsync(action!);
        return action!;
    }

    /// <summary>
    /// Re-runs the policy for a human's approval on the configuration in force now (ledgered). A proposal the policy
    /// now blocks leaves the queue with the reason and is refused; a kill switch refuses it for as long as it is engaged.
    /// </summary>
    private async Task<(ApprovalCheck Check, PolicyInput Input)> RecheckAsync(LedgerBatch batch, ProposalView view, TenantSnapshot snapshot)
    {
        var input = snapshot.InputFor(view.ActionType, view.Confidence, state.State.Lifecycle, view.StartedBySchedule, snapshot.AccountOptedIn);
        var check = HumanApproval.Recheck(HumanApproval.Answering(view.Decision, view.Reason), input);
        batch.Add(view.RunId, Actor.System, new PolicyEvaluatedPayload(
            null, view.ActionType, Json(view.Parameters), input, check.Policy, snapshot.ConfigVersion, view.ProposalId, Reevaluation: true, Verdict: check.Verdict));
        if (check.Verdict == ApprovalVerdict.Proceed) return (check, input);
        if (check.Verdict == ApprovalVerdict.Refused)
        {
            batch.Add(view.RunId, Actor.System, new ProposalResolvedPayload(view.ProposalId, "BLOCKED", Reason: WireName.Of(check.Policy.Reason), Policy: check.Policy));
            await CommitAsync(batch, state.State.WithResolved(view.ProposalId, "BLOCKED"));
            await Owners.RemoveAsync(view);
            throw HumanApproval.NoLongerAllowed(view.ProposalId, check.Policy, " It left the queue.");
        }

        await batch.FlushAsync();
        throw check.Verdict == ApprovalVerdict.KillSwitch
            ? HumanApproval.KillSwitchEngaged(view.ActionType)
            : new ConflictException("PROPOSAL_BLOCKED", $"Proposal {view.ProposalId} cannot be executed: {view.Explanation}");
    }

    /// <summary>The pending proposal, after authorization and expiry; an expired one is resolved EXPIRED and refused.</summary>
    private async Task<PendingProposal> PendingForAsync(string proposalId, Actor actor)
    {
        Authorize(actor);
        var now = time.GetUtcNow();
        if (state.State.Pending.TryGetValue(proposalId, out var pending) && pending.View.ExpiresAt <= now) await ExpireOverdueAsync(now);
        return state.State.Pending.TryGetValue(proposalId, out pending) ? pending : throw state.State.NotPending(proposalId);
    }

    /// <summary>
    /// Expires the overdue proposals nobody answered. One whose approved call went out of sight is closed in its execution
    /// grain first: never called, it expires; called after all, it is settled, never EXPIRED.
    /// </summary>
    private async Task ExpireOverdueAsync(DateTimeOffset now)
    {
        var overdue = state.State.Overdue(now);
        if (overdue.IsEmpty) return;
        var batch = NewBatch();
        var s = state.State;
        var expired = new List<ProposalView>();
        foreach (var (view, _, sent) in overdue)
        {
            var actionId = Ids.ActionOfProposal(AccountId, view.ProposalId);
            if (sent && (await GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{actionId}").CloseIfNeverCalledAsync()).Request is not null)
            {
                s = s with { InFlight = s.InFlight.SetItem(actionId, new InFlightExecution(actionId, view.RunId, view.ProposalId)) };
                continue;
            }

            AddExpired(batch, view, "ttl");
            s = s.WithResolved(view.ProposalId, "EXPIRED");
            expired.Add(view);
        }

        await CommitAsync(batch, s);
        foreach (var view in expired) await Owners.RemoveAsync(view);
        if (expired.Count < overdue.Length) await RecoverInFlightAsync();
    }

    /// <summary>PROPOSAL_RESOLVED EXPIRED and its outcome, for a proposal nobody answered (<paramref name="why"/>: ttl, queue-full).</summary>
    private static void AddExpired(LedgerBatch batch, ProposalView view, string why)
    {
        batch.Add(view.RunId, Actor.System, new ProposalResolvedPayload(view.ProposalId, "EXPIRED", Reason: why, ExpiresAt: view.ExpiresAt));
        batch.Add(view.RunId, Actor.System, new OutcomeRecordedPayload(null, view.ProposalId, OutcomeV1.Expired, OutcomeTaxonomyV1.Version, why));
    }

    private void Authorize(Actor actor)
    {
        if (!HumanApproval.MayAct(actor, state.State.OwnerId)) throw new ForbiddenException($"{actor.Id} may not act on account {AccountId}: only its owner or an admin may.");
    }

    public async Task<AccountView> SetAutonomousSchedulesAsync(bool enabled, Actor actor)
    {
        if (enabled)
        {
            if (state.State.OwnerId is null) throw new ConflictException("OWNER_REQUIRED", "Autonomous schedules need an account owner: set ownerId with PUT .../accounts/{accountId} first.");
            if (!(await Owners.Of(state.State.OwnerId)!.GetDigestSettingsAsync()).Enabled)
            {
                throw new ConflictException("OWNER_DIGEST_DISABLED", $"Autonomous schedules need the owner's daily digest switched on: PUT .../sellers/{state.State.OwnerId}/digest-settings with enabled=true.");
            }

            // The owner's seller counts its opted-in accounts before the tenant's opt-in (the copy the policy reads) is stored:
            // a seller at its bound refuses it. Should the tenant then fail, the seller tracks one account too many, which
            // only means a revocation that changes nothing; never an opt-in the seller cannot revoke.
            await Owners.Of(state.State.OwnerId)!.TrackScheduleOptInAsync(AccountId, true);
            await Tenant.SetScheduleOptInAsync(AccountId, true, actor);
        }
        else
        {
            await Tenant.SetScheduleOptInAsync(AccountId, false, actor);
            await (Owners.Of(state.State.OwnerId)?.TrackScheduleOptInAsync(AccountId, false) ?? Task.CompletedTask);
        }

        await WriteAsync(state.State.Touched(time.GetUtcNow()));
        return await ViewAsync();
    }

    /// <summary>Withdraws Mode 4, ledgered with the requirement that no longer holds (the tenant's opt-in is the only copy).</summary>
    private async Task RevokeOptInAsync(LedgerBatch batch, string? owner, string reason, string explanation)
    {
        batch.Add(null, Actor.System, new OptInRevokedPayload(AccountId, reason, explanation));
        await batch.FlushAsync();
        await Tenant.SetScheduleOptInAsync(AccountId, false, Actor.System);
        await (Owners.Of(owner)?.TrackScheduleOptInAsync(AccountId, false) ?? Task.CompletedTask);
    }

    /// <summary>An owner change hands the pending proposals to the new owner (ledgered); none is left in the old queue.</summary>
    private AccountState MoveProposals(LedgerBatch batch, string? from, AccountState next)
    {
        if (next.Pending.IsEmpty) return next;
        batch.Add(null, Actor.System, new ProposalsMovedPayload(from, next.OwnerId, [.. next.Pending.Keys.Order(StringComparer.Ordinal)]));
        return next.WithPendingShownTo(next.OwnerId ?? Unassigned);
    }
}

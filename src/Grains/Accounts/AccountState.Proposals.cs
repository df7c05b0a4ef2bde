namespace Autonomy.Accounts;

/// <summary>The account's proposals and actions: the human queue with its bound, approval admission, resolutions, the timeline's actions.</summary>
public sealed partial record AccountState
{
    /// <summary>Marks a pending proposal as sent to its execution grain by a human's approval.</summary>
    public AccountState WithApprovalSent(string proposalId) =>
        Pending.TryGetValue(proposalId, out var pending) && !pending.Sent
            ? this with { Pending = Pending.SetItem(proposalId, pending with { Sent = true }) }
            : this;

    public AccountState WithAction(ActionView action)
    {
        var list = Actions.RemoveAll(a => a.ActionId == action.ActionId).Add(action);
        return this with { Actions = list.Count > MaxActions ? list.RemoveRange(0, list.Count - MaxActions) : list };
    }

    public string? ResolutionOf(string proposalId) => Resolved.FirstOrDefault(r => r.ProposalId == proposalId)?.Resolution;

    /// <summary>Takes the proposal out of the queue and remembers how it left (the oldest resolutions are forgotten).</summary>
    public AccountState WithResolved(string proposalId, string resolution)
    {
        var list = Resolved.RemoveAll(r => r.ProposalId == proposalId).Add(new ResolvedProposal(proposalId, resolution));
        return this with
        {
            Pending = Pending.Remove(proposalId),
            Resolved = list.Count > MaxResolved ? list.RemoveRange(0, list.Count - MaxResolved) : list,
        };
    }

    /// <summary>The proposals nobody answered in time; one whose approved execution is in flight is answered.</summary>
    public ImmutableArray<PendingProposal> Overdue(DateTimeOffset now) =>
        [.. Pending.Values.Where(p => p.View.ExpiresAt <= now && !AwaitsExecution(p.View.ProposalId))];

    /// <summary>
    /// A new proposal in the queue. A full queue first expires its oldest (never one whose approved execution is in
    /// flight: that one is answered); they are returned, to be ledgered and taken off the owner's needs-input.
    /// </summary>
    public (AccountState State, ImmutableArray<ProposalView> Evicted) Queued(PendingProposal pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        var s = this;
        var evicted = ImmutableArray.CreateBuilder<ProposalView>();
        while (s.Pending.Count >= MaxPending)
        {
            evicted.Add(s.Pending.Values.Where(p => !s.AwaitsExecution(p.View.ProposalId)).MinBy(p => (p.View.CreatedAt, p.View.ProposalId))!.View);
            s = s.WithResolved(evicted[^1].ProposalId, "EXPIRED");
        }

        return (s with { Pending = s.Pending.SetItem(pending.View.ProposalId, pending) }, evicted.ToImmutable());
    }

    /// <summary>The action a repeated approval of an executed proposal returns; null when it was not executed.</summary>
    public ActionView? ExecutedFor(string proposalId) =>
        ResolutionOf(proposalId) is { } resolution ? Actions.FirstOrDefault(a => a.ActionId == resolution) : null;

    /// <summary>
    /// Refuses a human's approval of <paramref name="view"/> under <paramref name="actionId"/> unless it is bound to the
    /// digest the human saw and within the bound on executions of unknown outcome (one already in flight may be asked again).
    /// </summary>
    public void AdmitApproval(ProposalView view, string argsDigest, string actionId)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (!string.Equals(argsDigest, view.ArgsDigest, StringComparison.Ordinal))
        {
            throw new ConflictException("ARGS_DIGEST_MISMATCH", $"The proposal changed since it was shown: argsDigest is now {view.ArgsDigest}. Reload it and decide again.");
        }

        if (InFlight.Count >= MaxInFlight && !InFlight.ContainsKey(actionId))
        {
            throw new ConflictException("EXECUTIONS_PENDING",
                $"{InFlight.Count} executions of this account await their executor's answer (at most {MaxInFlight}); approve again once they are settled.");
        }
    }

    /// <summary>Refuses to revert an action that did not succeed or whose type is not revertible.</summary>
    public static void EnsureRevertible(ActionView action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (!action.Revertible || action.Status != ActionStatus.Succeeded)
        {
            throw new ConflictException("NOT_REVERTIBLE", $"Action {action.ActionId} cannot be reverted: {(action.Revertible ? "it did not succeed" : $"{action.ActionType} is not revertible")}.");
        }
    }

    /// <summary>Every pending proposal shown in <paramref name="sellerId"/>'s queue (an owner change).</summary>
    public AccountState WithPendingShownTo(string sellerId) =>
        this with { Pending = Pending.ToImmutableDictionary(p => p.Key, p => p.Value with { View = p.Value.View with { SellerId = sellerId } }) };

    public ActionView ActionOf(string actionId) =>
        Actions.FirstOrDefault(a => a.ActionId == actionId) ?? throw new NotFoundException($"Action {actionId} does not exist.");

    /// <summary>Why <paramref name="proposalId"/>, no longer pending, cannot be answered: it expired, was resolved, or never existed.</summary>
    public AutonomyException NotPending(string proposalId) => ResolutionOf(proposalId) switch
    {
        "EXPIRED" => new ConflictException("PROPOSAL_EXPIRED", $"Proposal {proposalId} expired before anyone answered it."),
        { } resolution => new ConflictException("PROPOSAL_RESOLVED", $"Proposal {proposalId} was already resolved ({resolution})."),
        null => new NotFoundException($"Proposal {proposalId} does not exist."),
    };
}

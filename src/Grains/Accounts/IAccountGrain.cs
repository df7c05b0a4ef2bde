using System.Collections.Immutable;
using Autonomy.Common;
using Autonomy.Outcomes;
using Autonomy.Perception;
using Orleans.Concurrency;

namespace Autonomy.Accounts;

/// <summary>One customer account: heat, triggers, budgets, proposals and the decision flow. Key: "{tenantId}/{accountId}".</summary>
[Alias("autonomy.IAccountGrain")]
public interface IAccountGrain : IGrainWithStringKey
{
    /// <summary>Applies an upstream update of owner, lifecycle, posture or renewal date.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("Upsert")]
    Task<AccountView> UpsertAsync(AccountUpdate update, Actor actor);

    /// <summary>Ingests signals; ids already seen are counted as duplicates and change nothing.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("IngestSignals")]
    Task<IngestResult> IngestSignalsAsync(ImmutableArray<SignalInput> signals, Actor actor);

    /// <summary>Returns the account's state; 404 for an account nothing was ever sent for.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("Get")]
    Task<AccountView> GetAsync();

    /// <summary>Runs whatever is due now (a closed trigger window, expired proposals); the timer's job, callable directly.</summary>
    [Alias("Poll")]
    Task PollAsync();

    /// <summary>
    /// Runs the pull that is due now in the account's pull grain (the reminder's and the pull timer's job, callable
    /// directly); interleaves, so the account answers while the connector is called.
    /// </summary>
    [AlwaysInterleave]
    [Alias("pulls.Pull")]
    Task PullAsync();

    /// <summary>What the account's pulls are planned from: whether it exists, its heat tier now, its last signal, the stored cadence.</summary>
    [Alias("pulls.GetPullBasis")]
    Task<PullBasis> GetPullBasisAsync();

    /// <summary>Ledgers a step of a pull on the account's stream (PULL_* entries, in order) and stores the cadence it leads to.</summary>
    [Alias("pulls.RecordPull")]
    Task RecordPullAsync(PullRecord record);

    /// <summary>Merges posture fields a pull brought (a JSON object) through the normal update; true when the posture changed.</summary>
    [Alias("pulls.MergePulledPosture")]
    Task<bool> MergePulledPostureAsync(string fields, Actor actor);

    /// <summary>Approves a proposal bound to the digest the approver saw; executes it once.</summary>
    [Alias("Approve")]
    Task<ActionView> ApproveAsync(string proposalId, string argsDigest, Actor actor);

    /// <summary>Executes an edited payload of a proposal (outcome IDEA_EDITED).</summary>
    [Alias("Edit")]
    Task<ActionView> EditAsync(string proposalId, string argsDigest, string parameters, Actor actor);

    /// <summary>Rejects a proposal (outcome IDEA_REJECTED).</summary>
    [Alias("Reject")]
    Task<ProposalView> RejectAsync(string proposalId, string? reason, Actor actor);

    /// <summary>Undoes a revertible executed action.</summary>
    [Alias("Revert")]
    Task<ActionView> RevertAsync(string actionId, Actor actor);

    /// <summary>Records an outcome reported later by upstream (NO_RESPONSE, NEGATIVE_RESPONSE).</summary>
    [Alias("RecordOutcome")]
    Task<ActionView> RecordOutcomeAsync(string actionId, OutcomeV1 outcome, Actor actor);

    /// <summary>Opts the account in or out of autonomous schedules (Mode 4); 409 names a missing requirement.</summary>
    [Alias("SetAutonomousSchedules")]
    Task<AccountView> SetAutonomousSchedulesAsync(bool enabled, Actor actor);
}

using Autonomy.Pulls;

namespace Autonomy.Accounts;

/// <summary>
/// The account's side of its pulls, which its pull grain runs: what they are planned from, the PULL_* entries on the
/// account's stream (its single writer) with the cadence they lead to, and pulled posture merged through the normal
/// update. The connector is called in the pull grain's turn, never in the account's.
/// </summary>
public sealed partial class AccountGrain
{
    private IPullGrain Pulls => GrainFactory.GetGrain<IPullGrain>(this.GetPrimaryKeyString());

    public Task PullAsync() => Pulls.PullAsync();

    public Task<PullBasis> GetPullBasisAsync() => Task.FromResult(state.State.PullBasis(time.GetUtcNow()));

    public async Task RecordPullAsync(PullRecord record)
    {
        var batch = NewBatch();
        AddIfAny(batch, LedgerTypes.PullScheduled, record.PullId, record.Scheduled);
        AddIfAny(batch, LedgerTypes.PullDeferred, record.PullId, record.Deferred);
        AddIfAny(batch, LedgerTypes.PullSkipped, record.PullId, record.Skipped);
        AddIfAny(batch, LedgerTypes.PullCompleted, record.PullId, record.Completed);
        AddIfAny(batch, LedgerTypes.PullFailed, record.PullId, record.Failed);
        await CommitAsync(batch, PullPlanner.Same(record.Pulls, state.State.Pulls) ? state.State : state.State with { Pulls = record.Pulls });
    }

    public async Task<bool> MergePulledPostureAsync(string fields, Actor actor)
    {
        if (Posture.Merge(state.State.Posture, fields) is not { } merged) return false;
        await UpsertAsync(new AccountUpdate(null, null, merged, null), actor);
        return true;
    }

    /// <summary>Has the pull grain plan again (one-way: the account never waits for it).</summary>
    private Task WakePullsAsync()
    {
        pullsWoken = true;
        return Pulls.WakeAsync();
    }

    private static void AddIfAny<T>(LedgerBatch batch, string type, string? pullId, T? payload)
        where T : class
    {
        if (payload is not null) batch.Add(type, pullId, "system", payload);
    }
}

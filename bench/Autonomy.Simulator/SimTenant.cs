using Autonomy.CostGate;
using Autonomy.Perception;

namespace Autonomy.Simulator;

/// <summary>A tenant's counters, with the real core records: the run budget, the token and pull quotas, the connector's bucket.</summary>
internal sealed class SimTenant
{
    public RunBudgetCounter Runs = new(default, 0);
    public DailyQuota Tokens = DailyQuota.Empty;
    public DailyQuota Pulls = DailyQuota.Empty;
    public TokenBucket? Bucket;

    // Independent tallies of what was spent per day, to catch an overshoot the counters would hide.
    public long Day = -1;
    public long RunsSpent;
    public long TokensSpent;
    public long PullsSpent;
}

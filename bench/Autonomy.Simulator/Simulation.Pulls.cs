using Autonomy.Perception;

namespace Autonomy.Simulator;

// The pull path: planned per tier, throttled per tenant and connector, budgeted per tenant.
public sealed partial class Simulation
{
    /// <summary>The pull path of the account grain: planned, throttled per tenant and connector, budgeted per tenant, then pulled.</summary>
    private void PullIfDue(SimAccount a, DateTimeOffset now)
    {
        PlanPull(a, now);
        if (!PullPlanner.IsDue(a.Pull, now))
        {
            return;
        }

        var t = Tenant(a, now);
        t.Bucket ??= TokenBucket.Full(Throttle, now);
        (t.Bucket, var throttle) = t.Bucket.Take(Throttle, now);
        if (!throttle.Granted)
        {
            _r.PullsDeferred++;
            Repull(a, PullPlanner.Deferred(a.Pull, throttle.RetryAt!.Value + (PullPlanner.ThrottleSpread * PullPlanner.Phase($"{a.Key}/crm/retry"))));
            return;
        }

        (t.Pulls, var budget) = t.Pulls.Reserve(options.PullsPerDay, 1, now);
        if (!budget.Granted)
        {
            _r.PullsSkipped++;
            Repull(a, PullPlanner.Skipped(a.Pull, budget.ResetsAt + (PullPlanner.BudgetSpread * PullPlanner.Phase($"{a.Key}/crm/budget"))));
            return;
        }

        if (++t.PullsSpent > options.PullsPerDay)
        {
            _r.BudgetOvershoots++;
        }

        _r.Pulls++;
        _r.PullSeries[Hour(now)]++;
        a.Heat = Heat.At(a.Heat, now);
        ObserveTier(a, now);
        if (a.Tier == HeatTier.Hot)
        {
            Stale(a, now);
        }

        var silent = 1 - Math.Exp(-a.SilentPerHour * (now - a.DataAt).TotalHours);
        var fresh = a.LastUpstreamAt > a.DataAt || a.Random.Next() < silent;
        _r.FreshPulls += fresh ? 1 : 0;
        a.DataAt = now;
        Repull(a, PullPlanner.Completed(a.Pull, Cadence, a.Tier, Tuning, fresh, now));
    }

    /// <summary>The grain's Planned: the cadence for the tier now, pushed signals counted; the pull timer follows it.</summary>
    private void PlanPull(SimAccount a, DateTimeOffset now)
    {
        var p = PullPlanner.Retier(a.Pull, Cadence, a.Tier);
        if (a.LastSignalAt is { } at)
        {
            p = PullPlanner.OnSignal(p, Cadence, a.Tier, Tuning, at);
        }

        if (p.NextPullAt != a.Pull.NextPullAt)
        {
            Repull(a, p);
        }
        else
        {
            a.Pull = p;
        }

        _ = now;
    }

    private void Repull(SimAccount a, PullState next)
    {
        a.Pull = next;
        a.PullVersion++;
        At(a, EventKind.Pull, a.PullVersion, next.NextPullAt);
    }
}

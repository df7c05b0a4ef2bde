using System.Globalization;
using Autonomy.CostGate;
using Autonomy.Perception;
using Autonomy.Schedules;
using Autonomy.Triggers;

namespace Autonomy.Simulator;

// The account grain's paths that the simulated events drive: a signal ingested, a poll, a reminder tick.
public sealed partial class Simulation
{
    /// <summary>The ingest path: heat, the trigger, the reminder's period, the pull plan, the wake timer.</summary>
    private void Signal(SimAccount a, SignalKind kind, DateTimeOffset now)
    {
        _r.Signals++;
        if (Registry.Types.ContainsKey(kind.Type))
        {
            // Baseline (a): every trigger is an engine call.
            _r.BaselineEngineCalls++;
            _r.BaselineTokens += TokenModel.Mean(1);
            _r.BaselineSeries[Hour(now)]++;
        }

        a.Heat = Heat.OnSignal(a.Heat, kind.Value, now);
        a.LastSignalAt = now;
        a.LastUpstreamAt = now;
        var outcome = DecisionTrigger.OnSignal(Registry, a.Trigger, new SignalRef("s" + (++_signalIds).ToString(CultureInfo.InvariantCulture), kind.Type, now, kind.Value), now);
        a.Trigger = outcome.State;
        if (kind.HighValue)
        {
            if (outcome.Verdict == TriggerVerdict.Accepted)
            {
                _r.HighValueTriggers++;
                (a.PendingHighValue ??= []).Add(now);
                if (a.FloorSpanEnds is not { } spanEnds || now >= spanEnds)
                {
                    _r.HighValueFloor++;
                    _r.FloorSeries[Hour(now)]++;
                    a.FloorSpanEnds = now + DecisionDeadline;
                }
            }
            else
            {
                _r.HighValueSuppressed++;
            }
        }

        ObserveTier(a, now);
        EnsureTick(a, now);
        PlanPull(a, now);
        ScheduleWake(a, now);
    }

    /// <summary>The account grain's PollAsync: close a due window (or hold it at the hourly cap) and run it.</summary>
    private void Poll(SimAccount a, DateTimeOffset now)
    {
        if (a.Trigger.Window is null or { IsParked: true } || (a.DeferredUntil is { } deferred && now < deferred))
        {
            ScheduleWake(a, now);
            return;
        }

        var poll = DecisionTrigger.Poll(Registry, a.Trigger, now);
        if (poll.CapReached)
        {
            _r.HeldByHourlyCap++;
            a.Trigger = poll.State;
            a.DeferredUntil = poll.WakeAt;
        }
        else if (poll.Fired is { } window)
        {
            a.Trigger = poll.State;
            a.DeferredUntil = null;
            Decide(a, window, now);
        }
        else if (a.DeferredUntil is not null)
        {
            a.Trigger = poll.State;
            a.DeferredUntil = null;
        }

        ScheduleWake(a, now);
    }

    /// <summary>The reminder tick: heat, due rituals, the heartbeat poll, due pulls, the period that follows heat.</summary>
    private void Tick(SimAccount a, DateTimeOffset now)
    {
        _r.Ticks++;
        a.Heat = Heat.At(a.Heat, now);
        ObserveTier(a, now);
        if (now >= a.NextRitualAt)
        {
            foreach (var tick in RitualPlanner.Plan(Rituals, a.Key, a.ScheduledSince, a.Handled, a.RenewalDate, runInFlight: false, now))
            {
                a.Handled = a.Handled.SetItem(tick.Ritual, tick.ScheduledAt);
                if (tick.Disposition != TickDisposition.Fire)
                {
                    continue;
                }

                _r.BaselineEngineCalls++;
                _r.BaselineTokens += TokenModel.Mean(1);
                _r.BaselineSeries[Hour(now)]++;
                var (trigger, started) = DecisionTrigger.StartScheduledRun(Registry, a.Trigger, now);
                if (!started)
                {
                    _r.RitualsHeldByHourlyCap++;
                    continue;
                }

                // The ritual's run takes the parked low-value signals along (the grain's RunScheduledAsync).
                var (taken, window) = DecisionTrigger.TakeParked(trigger, TriggerWindow.Scheduled(new SignalRef(tick.OccurrenceKey, tick.Ritual, now, MarginalValue.RitualValue(tick.Ritual)), now));
                a.Trigger = taken;
                Decide(a, window, now);
            }

            a.NextRitualAt = RitualPlanner.Next(Rituals, a.Key, a.RenewalDate, now) ?? DateTimeOffset.MaxValue;
        }

        Poll(a, now);
        PullIfDue(a, now);
        var period = Heat.TickPeriod(a.Tier, Ticks);
        if (period != a.TickPeriod)
        {
            a.TickPeriod = period;
            a.TickVersion++;
        }

        At(a, EventKind.Tick, a.TickVersion, now + a.TickPeriod);
    }
}

namespace Autonomy.Accounts;

/// <summary>
/// Time: the reminder whose period follows heat (rituals, expiry, recovery, the pull grain's wake-up), and one timer
/// per activation for both the wake-up (a closing trigger window, a deferred run) and the ingest path's write-behind snapshot.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>The reminder tick: expire proposals, finish interrupted executions, follow heat, run due rituals, wake the pulls.</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == PendingRunReminder)
        {
            // The activation that registered it may be gone (a lost silo, a restart): this one runs what is due and
            // removes the reminder once nothing is pending.
            _pendingRunGuard ??= await this.GetReminder(PendingRunReminder);
            await PollAsync();
            return;
        }

        if (reminderName != TickReminder) return;
        var now = time.GetUtcNow();
        _tickAt = status.Period > TimeSpan.Zero ? now + status.Period : null;
        await ExpireOverdueAsync(now);
        await RecoverInFlightAsync();
        var s = state.State;
        if (!s.Exists) return;
        var batch = NewBatch();
        var ticks = RitualPlanner.Plan(Options.Rituals, JitterKey, s.ScheduledSince, s.RitualsHandled, s.RenewalDate, runInFlight: false, now);
        var handled = s.RitualsHandled;
        foreach (var tick in ticks)
        {
            batch.Add(null, Actor.System, ScheduleTickPayload.Of(tick));
            handled = handled.SetItem(tick.Ritual, tick.ScheduledAt);
        }

        await CommitAsync(batch, s with { LastTickAt = now, RitualsHandled = handled, Heat = Heat.At(s.Heat!, now) });
        await EnsureReminderAsync();
        foreach (var tick in ticks.Where(t => t.Disposition == TickDisposition.Fire)) await RunScheduledAsync(tick, now);

        // The tick is also the heartbeat that picks up a window a failed wake left behind, and that wakes the pulls
        // (when there is anything to pull: a tenant's connector, or a cadence the account still keeps).
        await PollAsync();
        if (state.State.Pulls.Count > 0 || await _tenant.HasConnectorsAsync()) await WakePullsAsync();
    }

    /// <summary>The reminder's period follows heat: re-registered only when the tier's period changes.</summary>
    private async Task EnsureReminderAsync()
    {
        // TickPeriod is the period registered with Orleans: zero until the first registration.
        var period = Heat.TickPeriod(state.State.TierAt(time.GetUtcNow()), Options.Ticks);
        if (state.State.TickPeriod == period) return;
        // A run pending now (a new account's first signal opens a window) is guarded by the tick itself: its first tick
        // comes when the pending-run reminder's would, so the first signal registers one reminder, not two (and removes none).
        var due = GuardFirstDue() is { } guard && guard < period ? guard : period;
        try
        {
            await this.RegisterOrUpdateReminder(TickReminder, due, period);
            _tickAt = time.GetUtcNow() + due;
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            // The reminder service is still starting (or its table is briefly unreachable): the account's next
            // ingest, update or tick tries again; what was asked of it now has already been done.
            logger.LogWarning(ex, "Reminder of {TenantId}/{AccountId} not registered yet", TenantId, AccountId);
            return;
        }

        // The period registered goes with the next snapshot, so a new account's first signal writes no state of its own;
        // lost in a crash, it only means registering the same reminder once more.
        state.State = state.State with { TickPeriod = period };
        ScheduleSnapshot();
    }

    /// <summary>
    /// While a run is pending (an open window, a deferred run) the account keeps a reminder, due a
    /// <see cref="AutonomyEngineOptions.PendingRunGuard"/> after the run and then every guard period: the timer runs it
    /// on time, the reminder only when the activation was lost with its silo or process (Orleans reactivates nothing
    /// by itself). One registration when a run becomes pending, one removal when none is.
    /// </summary>
    private async Task GuardPendingRunAsync()
    {
        var due = state.State.WakeDueAt;
        try
        {
            if (GuardFirstDue() is { } first && _pendingRunGuard is null)
            {
                // The tick reminder this activation knows of comes first: it polls the pending run, and whatever is
                // still pending after it is guarded then (each tick ends with a poll).
                if (_tickAt is { } tick && tick <= time.GetUtcNow() + first) return;
                _pendingRunGuard = await this.RegisterOrUpdateReminder(PendingRunReminder, first, Options.PendingRunGuard);
            }
            else if (due is null && _pendingRunGuard is { } guard)
            {
                await this.UnregisterReminder(guard);
                _pendingRunGuard = null;
            }
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            // The reminder table is briefly unreachable: the next ingest, poll or tick tries again.
            logger.LogWarning(ex, "Pending-run reminder of {TenantId}/{AccountId} not updated yet", TenantId, AccountId);
        }
    }

    /// <summary>How long from now the pending-run reminder's first tick is due (null: no run pending).</summary>
    private TimeSpan? GuardFirstDue()
    {
        if (state.State.WakeDueAt is not { } at) return null;
        var wait = at - time.GetUtcNow();
        return (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) + Options.PendingRunGuard;
    }

    /// <summary>
    /// The wake-up for the next due work (a closing trigger window, a deferred run, or a retry's backoff when
    /// <paramref name="retryIn"/> is given; without it a pending retry gives way to the state's own due time).
    /// </summary>
    private void ScheduleWake(TimeSpan? retryIn = null)
    {
        _retryAt = retryIn is { } d ? time.GetUtcNow() + d : null;
        Arm();
    }

    /// <summary>
    /// The account's one timer, armed for whichever comes first: the wake-up or the write-behind snapshot. Changed in
    /// place while anything is due (never disposed and registered again per signal), left alone when its due time did
    /// not move, and disposed once nothing is due.
    /// </summary>
    private void Arm()
    {
        var wake = _retryAt ?? state.State.WakeDueAt;
        var due = (wake, _snapshotAt) switch
        {
            (null, var s) => s,
            (var w, null) => w,
            var (w, s) => w < s ? w : s,
        };
        _timerForWake = wake is not null && wake <= due;
        _timerForSnapshot = _snapshotAt is not null && _snapshotAt <= due;
        if (due is null)
        {
            // Nothing due: an idle activation keeps no timer (the next signal or tick that needs one registers it
            // again). Checked before the "unchanged" return: a timer that just fired cleared _armedFor to null too.
            _armedFor = null;
            _timer?.Dispose();
            _timer = null;
            return;
        }

        if (due == _armedFor) return;
        _armedFor = due;

        var delay = due.Value - time.GetUtcNow();
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        if (_timer is null)
        {
            _timer = this.RegisterGrainTimer(_ => OnTimerAsync(), new GrainTimerCreationOptions { DueTime = delay, Period = Timeout.InfiniteTimeSpan, Interleave = false });
        }
        else
        {
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The timer fired: the snapshot and the wake-up it was armed for, then armed again for what remains.</summary>
    private async Task OnTimerAsync()
    {
        var (forWake, forSnapshot) = (_timerForWake, _timerForSnapshot);
        _armedFor = null;
        try
        {
            if (forSnapshot)
            {
                try
                {
                    await SnapshotAsync();
                }
                catch (Exception ex)
                {
                    // The store is down: the signals are in the ledger, so nothing is lost; the write is tried again later.
                    logger.LogWarning(ex, "Snapshot of {TenantId}/{AccountId} not written; trying again in {Delay}", TenantId, AccountId, Options.SnapshotDelay);
                    ScheduleSnapshot();
                }
            }

            if (forWake) await WakeAsync();
        }
        finally
        {
            Arm();
        }
    }

    /// <summary>
    /// The timer's work. A failed run (ledger or store down) is retried with exponential backoff and jitter, so
    /// accounts that failed together (a ledger outage) do not all come back in the same second.
    /// </summary>
    private async Task WakeAsync()
    {
        try
        {
            await PollAsync();
            _wakeFailures = 0;
        }
        catch (Exception ex)
        {
            _wakeFailures++;
            var delay = Backoff.Delay(_wakeFailures, WakeRetryBase, WakeRetryMax, Random.Shared.NextDouble());
            logger.LogError(ex, "Decision run of {TenantId}/{AccountId} failed ({Failures} in a row); retrying in {Delay}", TenantId, AccountId, _wakeFailures, delay);
            ScheduleWake(delay);
        }
    }

    /// <summary>Writes the in-memory state that ingestion left unsaved (its signals are already in the ledger).</summary>
    private async Task SnapshotAsync()
    {
        _snapshotAt = null;
        if (_unsaved) await WriteAsync(state.State);
    }

    /// <summary>Marks the state unsaved; written at most <see cref="AutonomyEngineOptions.SnapshotDelay"/> after the first unsaved change.</summary>
    private void ScheduleSnapshot()
    {
        _unsaved = true;
        if (_snapshotAt is not null) return;
        _snapshotAt = time.GetUtcNow() + Options.SnapshotDelay;
        Arm();
    }
}

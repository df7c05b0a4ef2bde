namespace Autonomy.Accounts;

/// <summary>
/// Time: the reminder whose period follows heat (rituals, expiry, recovery, the pull grain's wake-up), the one-shot
/// wake timer for a closing trigger window or a deferred run, and the write-behind snapshot timer of the ingest path.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>The reminder tick: expire proposals, finish interrupted executions, follow heat, run due rituals, wake the pulls.</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != TickReminder) return;
        var now = time.GetUtcNow();
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
        try
        {
            await this.RegisterOrUpdateReminder(TickReminder, period, period);
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

    /// <summary>Arms the one-shot timer for the next due work (a closing trigger window or a deferred run).</summary>
    private void ScheduleWake(TimeSpan? retryIn = null)
    {
        _wake?.Dispose();
        _wake = null;
        if ((retryIn ?? state.State.WakeDueAt - time.GetUtcNow()) is { } d)
        {
            _wake = this.RegisterGrainTimer(_ => WakeAsync(), new GrainTimerCreationOptions { DueTime = d > TimeSpan.Zero ? d : TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, Interleave = false });
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
        _snapshot?.Dispose();
        _snapshot = null;
        if (_unsaved) await WriteAsync(state.State);
    }

    private void ScheduleSnapshot()
    {
        _unsaved = true;
        _snapshot ??= this.RegisterGrainTimer(_ => SnapshotAsync(), new GrainTimerCreationOptions { DueTime = Options.SnapshotDelay, Period = Timeout.InfiniteTimeSpan, Interleave = false });
    }
}

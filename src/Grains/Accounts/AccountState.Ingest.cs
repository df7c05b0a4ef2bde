using System.Text.Json.Nodes;

namespace Autonomy.Accounts;

/// <summary>What ingesting a batch of signals came to: the account after it, the signals taken, those the trigger did not accept, the duplicates.</summary>
public sealed record SignalBatch(AccountState State, ImmutableArray<IngestedSignal> Accepted, ImmutableArray<(SignalInput Signal, SignalOutcome Outcome)> Suppressed, int Duplicates);

/// <summary>Signals into the account: the ingest fold (dedupe, heat, trigger) and the replay of what a snapshot missed.</summary>
public sealed partial record AccountState
{
    /// <summary>
    /// Signals in order: an id already remembered is a duplicate and changes nothing; each new one is folded by
    /// <see cref="Ingest"/> (value 0.5 when none is given). Returns the account after them, the signals taken as
    /// SIGNAL_INGESTED records them, those the trigger did not accept with why, and how many were duplicates.
    /// </summary>
    public SignalBatch IngestAll(TriggerRegistry registry, ImmutableArray<SignalInput> signals, int memory, DateTimeOffset now)
    {
        var next = this;
        // Sized for the batch, and the suppressed list only made when a signal is suppressed (the hot path has none).
        var accepted = ImmutableArray.CreateBuilder<IngestedSignal>(signals.Length);
        ImmutableArray<(SignalInput, SignalOutcome)>.Builder? suppressed = null;
        var duplicates = 0;
        foreach (var signal in signals)
        {
            if (next.Signals.Contains(signal.Id))
            {
                duplicates++;
                continue;
            }

            var value = signal.Value ?? 0.5;
            (next, var outcome) = next.Ingest(registry, new SignalRef(signal.Id, signal.Type, now, value), memory, now);
            accepted.Add(new IngestedSignal(signal.Id, signal.Type, signal.OccurredAt, value, signal.Attributes is { } a ? JsonNode.Parse(a) : null));
            if (outcome.Verdict != TriggerVerdict.Accepted)
            {
                (suppressed ??= ImmutableArray.CreateBuilder<(SignalInput, SignalOutcome)>()).Add((signal, outcome));
            }
        }

        return new SignalBatch(
            next,
            accepted.Count == accepted.Capacity ? accepted.MoveToImmutable() : accepted.ToImmutable(),
            suppressed?.ToImmutable() ?? [],
            duplicates);
    }

    /// <summary>
    /// The account's ledger entries a stored snapshot does not hold yet (a crash between acknowledgement and snapshot),
    /// folded: signals not remembered are ingested again (under <paramref name="registry"/>), executions whose steps
    /// reached the ledger but whose result did not are tracked in flight, and the watermark moves to the last entry.
    /// Returns the account after them and how many signals were replayed.
    /// </summary>
    public (AccountState State, int Replayed) Replayed(IReadOnlyList<LedgerEntry> entries, TriggerRegistry? registry, int memory)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var (s, replayed, started) = (this, 0, InFlight);
        foreach (var entry in entries)
        {
            if (entry.Type == LedgerTypes.SignalIngested)
            {
                s = s.Touched(entry.At);
                foreach (var signal in AccountLedger.Read<SignalIngestedPayload>(entry).Signals)
                {
                    if (!s.Signals.Contains(signal.Id))
                    {
                        (s, _) = s.Ingest(registry!, new SignalRef(signal.Id, signal.Type, entry.At, signal.Value), memory, entry.At);
                        replayed++;
                    }
                }
            }

            started = TrackExecution(started, entry);
            s = s with { LedgerSeq = entry.Seq };
        }

        // Tracked on top of the stored executions in flight: recovery asks each one's execution grain what became of it.
        return (s with { InFlight = s.InFlight.SetItems(started) }, replayed);
    }

    /// <summary>
    /// Executions whose steps reached the ledger but whose result did not, after one more entry of the account's
    /// stream: opened by a clearance or an approval, closed by a stop or a result.
    /// </summary>
    private static ImmutableDictionary<string, InFlightExecution> TrackExecution(ImmutableDictionary<string, InFlightExecution> started, LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        switch (entry.Type)
        {
            case LedgerTypes.KillSwitchChecked:
                var check = AccountLedger.Read<KillSwitchCheckedPayload>(entry);
                return check.Stopped ? started.Remove(check.ActionId)
                    : started.ContainsKey(check.ActionId) ? started
                    : started.SetItem(check.ActionId, new InFlightExecution(check.ActionId, entry.RunId ?? string.Empty, null));
            case LedgerTypes.ProposalResolved:
                var resolved = AccountLedger.Read<ProposalResolvedPayload>(entry);
                return resolved is { Resolution: "APPROVED" or "EDITED", ActionId: { } actionId }
                    ? started.SetItem(actionId, new InFlightExecution(actionId, entry.RunId ?? string.Empty, resolved.ProposalId))
                    : started;
            case LedgerTypes.ActionExecuted or LedgerTypes.ActionFailed:
                // Entries written before the payloads were typed carry the id only inside the action.
                var settled = AccountLedger.Read<ActionResultPayload>(entry);
                return ((string?)settled.ActionId ?? settled.Action?.ActionId) is { } id ? started.Remove(id) : started;
            default:
                return started;
        }
    }

    /// <summary>
    /// One new signal: remembered for idempotency, added to heat, offered to the trigger. Pure, so the ingest path
    /// and the replay of the ledger after a crash fold signals the same way.
    /// </summary>
    public (AccountState State, SignalOutcome Outcome) Ingest(TriggerRegistry registry, SignalRef signal, int memory, DateTimeOffset at)
    {
        var outcome = DecisionTrigger.OnSignal(registry, Trigger, signal, at);
        var next = this with
        {
            Signals = Signals.Remember(signal.Id, memory),
            Heat = Perception.Heat.OnSignal(Heat ?? HeatState.Cold(at), signal.Value, at),
            Trigger = outcome.State,
            LastSignalAt = at,
        };
        return (next, outcome);
    }
}

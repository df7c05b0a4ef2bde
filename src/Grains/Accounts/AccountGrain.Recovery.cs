using System.Text.Json.Nodes;
using Autonomy.Actions;
using Autonomy.Ledger;
using Autonomy.Outcomes;
using Autonomy.Policy;
using Autonomy.Triggers;
using Microsoft.Extensions.Logging;

namespace Autonomy.Accounts;

/// <summary>
/// After a crash: the acknowledged signals a snapshot missed are folded again, and executions whose steps reached
/// the ledger but whose result did not are completed once.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>Executions whose steps reached the ledger but whose result did not (a crash in between).</summary>
    private static void TrackExecution(LedgerEntry entry, Dictionary<string, (string? RunId, string? ProposalId)> started)
    {
        if (entry.Type is not (LedgerTypes.KillSwitchChecked or LedgerTypes.ProposalResolved or LedgerTypes.ActionExecuted or LedgerTypes.ActionFailed))
        {
            return;
        }

        var payload = JsonNode.Parse(entry.Payload) as JsonObject;
        var actionId = (payload?["actionId"] ?? payload?["action"]?["actionId"])?.GetValue<string>();
        if (actionId is null)
        {
            return;
        }

        var opens = entry.Type switch
        {
            LedgerTypes.KillSwitchChecked => payload!["stopped"]?.GetValue<bool>() == false,
            LedgerTypes.ProposalResolved => payload!["resolution"]?.GetValue<string>() is "APPROVED" or "EDITED",
            _ => false,
        };
        if (opens)
        {
            started[actionId] = (entry.RunId, payload!["proposalId"]?.GetValue<string>());
        }
        else
        {
            started.Remove(actionId);
        }
    }

    /// <summary>
    /// Folds the account's SIGNAL_INGESTED entries that the stored snapshot does not hold yet (a crash between the
    /// acknowledgement and the snapshot), so no acknowledged signal is lost.
    /// </summary>
    private async Task ReplayAsync(CancellationToken cancellationToken)
    {
        var s = state.State;
        TriggerRegistry? registry = null;
        var replayed = 0;
        var started = new Dictionary<string, (string? RunId, string? ProposalId)>();
        for (IReadOnlyList<LedgerEntry> entries; (entries = await ledger.ReadStreamAsync(stream!.StreamId, s.LedgerSeq, 500, cancellationToken)).Count > 0;)
        {
            foreach (var entry in entries)
            {
                if (entry.Type == LedgerTypes.SignalIngested && JsonNode.Parse(entry.Payload)?["signals"] is JsonArray signals)
                {
                    registry ??= (await Tenant.GetSnapshotAsync(AccountId)).Triggers;
                    s = Touch(s, entry.At);
                    foreach (var signal in signals.OfType<JsonObject>())
                    {
                        var id = signal["id"]!.GetValue<string>();
                        if (!s.SeenSignals.Contains(id))
                        {
                            (s, _) = s.Ingest(registry, new SignalRef(id, signal["type"]!.GetValue<string>(), entry.At, signal["value"]?.GetValue<double>() ?? 0.5), Options.SignalIdMemory, entry.At);
                            replayed++;
                        }
                    }
                }

                TrackExecution(entry, started);
                s = s with { LedgerSeq = entry.Seq };
            }
        }

        var before = s;
        foreach (var (actionId, (runId, proposalId)) in started)
        {
            s = await RecoverExecutionAsync(s, actionId, runId, proposalId);
        }

        if (!ReferenceEquals(before, s) || drafts.Count > 0)
        {
            state.State = s;
            await CommitAsync(s);
        }

        if (replayed > 0)
        {
            logger.LogWarning("Account {TenantId}/{AccountId} replayed {Count} acknowledged signals the snapshot missed", TenantId, AccountId, replayed);
            state.State = s;
            unsaved = true;
            await SnapshotAsync();
        }
    }

    /// <summary>
    /// Finishes an execution that a crash interrupted after its steps were ledgered but before its result was: the
    /// execution grain knows whether the executor was called. Called, it is completed under the same idempotency
    /// key and its result ledgered; never called, nothing ran, which is ledgered for an autonomous action, and an
    /// approved proposal simply stays pending for its human.
    /// </summary>
    private async Task<AccountState> RecoverExecutionAsync(AccountState s, string actionId, string? runId, string? proposalId)
    {
        var execution = GrainFactory.GetGrain<IExecutionGrain>($"{TenantId}/{actionId}");
        var stored = await execution.GetAsync();
        if (stored.Request is not { } request)
        {
            if (proposalId is null)
            {
                Draft(LedgerTypes.ActionFailed, runId, "system", new { actionId, recovered = true, detail = "Interrupted before the executor was called; nothing was executed." });
            }

            return s;
        }

        var result = stored is { Status: ExecutionStatus.Done, Result: { } done } ? done : await execution.ExecuteAsync(request);
        var snapshot = await Tenant.GetSnapshotAsync(AccountId);
        var pending = proposalId is null ? null : s.Pending.GetValueOrDefault(proposalId)?.View;
        var action = new ActionView(
            actionId, request.RunId, AccountId, SellerId, request.ActionType, request.Parameters, request.Autonomous,
            result.Succeeded ? ActionStatus.Succeeded : ActionStatus.Failed, time.GetUtcNow(),
            pending?.Reason ?? PolicyReason.AllowedByPolicy, "Completed after an interruption. " + (pending?.Explanation ?? string.Empty),
            pending?.PolicyVersion ?? AutoApprovalPolicyV1.Version, proposalId,
            result.Succeeded ? OutcomeV1.ExecutionSucceeded : OutcomeV1.ExecutionFailed, result.Detail,
            snapshot.Catalog.GetValueOrDefault(request.ActionType)?.Revertible ?? false);
        Draft(result.Succeeded ? LedgerTypes.ActionExecuted : LedgerTypes.ActionFailed, request.RunId, "system", new { action, executor = result.Executor, idempotencyKey = actionId, recovered = true });
        Draft(LedgerTypes.OutcomeRecorded, request.RunId, "system", new { actionId, proposalId, outcome = action.Outcome, taxonomy = OutcomeTaxonomyV1.Version });
        s = s.WithAction(action);
        if (proposalId is not null)
        {
            s = s with { Pending = s.Pending.Remove(proposalId), Resolved = s.Resolved.SetItem(proposalId, actionId) };
            await Seller().RemoveNeedsInputAsync(proposalId);
        }

        await Seller().RecordActionAsync(action);
        logger.LogWarning("Execution {ActionId} of {TenantId}/{AccountId} completed after an interruption", actionId, TenantId, AccountId);
        return s;
    }
}

using System.Collections.Immutable;
using System.Text.Json;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Ledger;

namespace Autonomy.Policy;

/// <summary>
/// A configuration an admin considers, before saving it: a mode per action type, the policy parameters, and catalog
/// entries (the tenant's own types and built-ins made stricter, as <c>PUT .../actions/catalog/{actionType}</c> takes
/// them). What it names replaces, in every replayed decision, what that decision saw; what it leaves out stays as the
/// decision saw it. So an empty candidate replays every decision as it was.
/// </summary>
public sealed record ReplayCandidate(
    ImmutableDictionary<string, AutonomyModeV1> Modes,
    PolicyParameters? Parameters,
    ImmutableDictionary<string, ActionTypeSpec> Catalog)
{
    public static readonly ReplayCandidate Unchanged = new(
        ImmutableDictionary<string, AutonomyModeV1>.Empty.WithComparers(StringComparer.Ordinal),
        null,
        ImmutableDictionary<string, ActionTypeSpec>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>
    /// <paramref name="decided"/> under this candidate: the type's mode, catalog entry (a built-in only ever stricter,
    /// as the catalog rule says) and the parameters where the candidate names them. The kill switches, the engine's
    /// confidence, the account's lifecycle and the schedule stay as they were: replay asks what the configuration
    /// would have changed, not what the world would have.
    /// </summary>
    public PolicyInput Apply(PolicyInput decided)
    {
        ArgumentNullException.ThrowIfNull(decided);
        var type = decided.ActionType;
        return decided with
        {
            Mode = Modes.TryGetValue(type, out var mode) ? mode : decided.Mode,
            Spec = Catalog.ContainsKey(type) ? ActionCatalog.Find(Catalog, type) : decided.Spec,
            Parameters = Parameters ?? decided.Parameters,
        };
    }
}

/// <summary>One decision of a run as its POLICY_EVALUATED entry recorded it: where, when, the policy's input and its answer.</summary>
public sealed record LedgeredDecision(
    string EntryId, string? RunId, string? AccountId, int Index, string ActionType, DateTimeOffset At, PolicyInput Input, PolicyResult Result);

/// <summary>A decision whose answer differs under the candidate: before (as ledgered) and after.</summary>
/// <param name="DecisionChanged">The decision itself differs (not only the reason).</param>
/// <param name="BudgetDependent">
/// Now AUTO_EXECUTE where it was not: it would have run alone only within the autonomy budget of that day, which replay
/// does not simulate (the budget step may have downgraded it to BUDGET_EXHAUSTED).
/// </param>
public sealed record ReplayChange(LedgeredDecision Decision, PolicyResult After, bool DecisionChanged, bool BudgetDependent)
{
    public PolicyResult Before => Decision.Result;
}

/// <summary>What replaying a set of decisions found: how many were evaluated, and those that would change.</summary>
public sealed record ReplayOutcome(int Evaluated, ImmutableArray<ReplayChange> Changes)
{
    public int Changed => Changes.Length;

    public int Unchanged => Evaluated - Changes.Length;

    public int DecisionsChanged => Changes.Count(c => c.DecisionChanged);

    public int BudgetDependent => Changes.Count(c => c.BudgetDependent);
}

/// <summary>
/// Policy replay: the ledgered decisions of a time range re-evaluated by <see cref="AutoApprovalPolicyV1"/> under a
/// candidate configuration. A pure function of the recorded inputs and the candidate: nothing is executed, stored or
/// ledgered. A decision changes when its decision or its reason differs; the budget step that followed an AUTO_EXECUTE
/// is not simulated (see <see cref="ReplayChange.BudgetDependent"/>).
/// </summary>
public static class PolicyReplay
{
    /// <summary>The decision under the candidate, or null when its decision and reason stay as ledgered.</summary>
    public static ReplayChange? Replay(LedgeredDecision decision, ReplayCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(candidate);
        var after = AutoApprovalPolicyV1.Evaluate(candidate.Apply(decision.Input));
        var before = decision.Result;
        if (after.Decision == before.Decision && after.Reason == before.Reason)
        {
            return null;
        }

        return new ReplayChange(
            decision,
            after,
            DecisionChanged: after.Decision != before.Decision,
            BudgetDependent: after.Decision == PolicyDecision.AutoExecute && before.Decision != PolicyDecision.AutoExecute);
    }

    /// <summary>Every decision under the candidate: the count and the changes, in the order given.</summary>
    public static ReplayOutcome Replay(IEnumerable<LedgeredDecision> decisions, ReplayCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        var evaluated = 0;
        var changes = ImmutableArray.CreateBuilder<ReplayChange>();
        foreach (var decision in decisions)
        {
            evaluated++;
            if (Replay(decision, candidate) is { } change)
            {
                changes.Add(change);
            }
        }

        return new ReplayOutcome(evaluated, changes.ToImmutable());
    }

    /// <summary>
    /// A POLICY_EVALUATED entry as a decision of a run, or null for what replay does not re-decide: a human's approval
    /// re-evaluated (no proposal index; the human decided), another entry type, or a payload that does not read back.
    /// </summary>
    public static LedgeredDecision? Read(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Type != LedgerTypes.PolicyEvaluated)
        {
            return null;
        }

        PolicyEvaluatedPayload payload;
        try
        {
            payload = AccountLedger.Read<PolicyEvaluatedPayload>(entry);
        }
        catch (JsonException)
        {
            return null;
        }

        if (payload is not { Index: { } index, Input: { } input, Result: { } result } || payload.Reevaluation == true)
        {
            return null;
        }

        return new LedgeredDecision(
            entry.EntryId, entry.RunId, LedgerStreamIds.AccountIdOf(entry.TenantId, entry.StreamId), index, payload.ActionType, entry.At, input, result);
    }
}

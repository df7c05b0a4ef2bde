using System.Globalization;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Ledger;
using Autonomy.Policy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// <c>POST .../policy/replay</c>: the decisions ledgered in a time range (their POLICY_EVALUATED entries) re-evaluated
/// under a candidate configuration (<see cref="PolicyReplay"/>), read through the ledger store and bounded: at most
/// <see cref="MaxEntries"/> entries of at most <see cref="MaxRange"/> per call, the rest behind <c>nextCursor</c>.
/// A read like the dry run: nothing is executed, stored or ledgered.
/// </summary>
public static class PolicyReplayApi
{
    /// <summary>The most POLICY_EVALUATED entries one call reads (and so the most changes it lists).</summary>
    public const int MaxEntries = 5000;

    /// <summary>The longest range one call covers.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(31);

    /// <summary>The most action types a candidate may name in <c>modes</c>, and in <c>catalog</c> (the catalog's own bound).</summary>
    public const int MaxTypes = 200;

    /// <summary>What replay says of the autonomy budget step: it is not re-run (see <see cref="ReplayChange.BudgetDependent"/>).</summary>
    public const string BudgetNotSimulated = "NOT_SIMULATED";

    private const int PageSize = 1000;

    public static async Task<Results<Ok<PolicyReplayResponse>, ValidationProblem>> Replay(
        string tenantId, PolicyReplayRequest body, ILedger ledger, CancellationToken cancellationToken)
    {
        var v = new Validation();
        var candidate = Candidate(v, v.Required(body.Candidate, "candidate"));
        var from = v.Instant(v.Required(body.From, "from"), "from");
        var to = v.Instant(v.Required(body.To, "to"), "to");
        if (from is { } f && to is { } t && !(f < t))
        {
            v.Add("to", "to must be after from.");
        }
        else if (from is { } f2 && to is { } t2 && t2 - f2 > MaxRange)
        {
            v.Add("to", string.Create(CultureInfo.InvariantCulture, $"A replay covers at most {MaxRange.TotalDays} days; replay a longer period range by range."));
        }

        v.Range(body.Limit, "limit", 1, MaxEntries);
        v.LedgerPageCursor(body.Cursor);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var limit = body.Limit ?? MaxEntries;
        var decisions = new List<LedgeredDecision>();
        var (read, cursor) = (0, body.Cursor);
        do
        {
            var page = await ledger.QueryAsync(
                new LedgerQuery(tenantId, Type: LedgerTypes.PolicyEvaluated, From: from, To: to, Limit: Math.Min(PageSize, limit - read), Cursor: cursor),
                cancellationToken);
            read += page.Items.Count;
            decisions.AddRange(page.Items.Select(PolicyReplay.Read).OfType<LedgeredDecision>());
            cursor = page.NextCursor;
        }
        while (cursor is not null && read < limit);

        var outcome = PolicyReplay.Replay(decisions, candidate);
        return TypedResults.Ok(new PolicyReplayResponse(
            from!.Value, to!.Value, outcome.Evaluated, outcome.Changed, outcome.Unchanged, outcome.DecisionsChanged, outcome.BudgetDependent,
            Skipped: read - decisions.Count, Truncated: cursor is not null, NextCursor: cursor, Budget: BudgetNotSimulated,
            AutoApprovalPolicyV1.Version, [.. outcome.Changes.Select(ReplayChangeResponse.From)]));
    }

    /// <summary>The candidate, each part read as its PUT endpoint reads it; errors named under <c>candidate.</c>.</summary>
    private static ReplayCandidate Candidate(Validation v, ReplayCandidateBody? body)
    {
        if (body is null)
        {
            return ReplayCandidate.Unchanged;
        }

        var modes = ReplayCandidate.Unchanged.Modes.ToBuilder();
        foreach (var (type, request) in Bounded(v, body.Modes, "candidate.modes"))
        {
            if (v.Name(type, $"candidate.modes.{type}") && v.Required(request, $"candidate.modes.{type}") is { } r)
            {
                modes[type] = v.Required(r.Mode, $"candidate.modes.{type}.mode");
            }
        }

        var catalog = ReplayCandidate.Unchanged.Catalog.ToBuilder();
        foreach (var (type, request) in Bounded(v, body.Catalog, "candidate.catalog"))
        {
            if (v.Name(type, $"candidate.catalog.{type}") && v.Required(request, $"candidate.catalog.{type}") is { } r)
            {
                catalog[type] = r.Read(v, type, $"candidate.catalog.{type}");
            }
        }

        return new ReplayCandidate(modes.ToImmutable(), body.Policy?.Read(v, "candidate.policy"), catalog.ToImmutable());
    }

    private static IEnumerable<KeyValuePair<string, T?>> Bounded<T>(Validation v, IReadOnlyDictionary<string, T?>? map, string field)
        where T : class
    {
        if (map is null)
        {
            return [];
        }

        if (map.Count > MaxTypes)
        {
            v.Add(field, string.Create(CultureInfo.InvariantCulture, $"{field} may name at most {MaxTypes} action types."));
            return [];
        }

        return map;
    }
}

/// <summary>
/// A replay: the candidate configuration, the range (<c>from</c> inclusive, <c>to</c> exclusive) and, to go on after a
/// truncated answer, its <c>nextCursor</c>; <c>limit</c> bounds the entries read (1 to 5000, the default).
/// </summary>
public sealed record PolicyReplayRequest(ReplayCandidateBody? Candidate, string? From, string? To, int? Limit, string? Cursor);

/// <summary>
/// The configuration to try, in the shapes the PUT endpoints take: <c>modes</c> as <c>PUT .../autonomy/modes/{type}</c>,
/// <c>policy</c> as <c>PUT .../policy/parameters</c>, <c>catalog</c> as <c>PUT .../actions/catalog/{type}</c>. What it
/// leaves out stays as each decision saw it.
/// </summary>
public sealed record ReplayCandidateBody(
    IReadOnlyDictionary<string, SetModeRequest?>? Modes,
    PolicyParametersBody? Policy,
    IReadOnlyDictionary<string, ActionTypeRequest?>? Catalog);

/// <summary>
/// What would change: counts over the decisions evaluated (the runs' own; a human's re-evaluation is <c>skipped</c>),
/// whether the range was cut at the entry bound (<c>truncated</c>, go on with <c>nextCursor</c>), and the changes.
/// <c>budget</c> is <c>NOT_SIMULATED</c>: a decision that would now auto-execute is marked <c>budgetDependent</c>.
/// </summary>
public sealed record PolicyReplayResponse(
    DateTimeOffset From,
    DateTimeOffset To,
    int Evaluated,
    int Changed,
    int Unchanged,
    int DecisionsChanged,
    int BudgetDependent,
    int Skipped,
    bool Truncated,
    string? NextCursor,
    string Budget,
    string PolicyVersion,
    IReadOnlyList<ReplayChangeResponse> Changes);

/// <summary>One decision whose answer would differ: where and when it was taken, before (as ledgered) and after.</summary>
public sealed record ReplayChangeResponse(
    string EntryId,
    string? RunId,
    string? AccountId,
    string ActionType,
    int Index,
    DateTimeOffset At,
    ReplayAnswer Before,
    ReplayAnswer After,
    bool DecisionChanged,
    bool BudgetDependent)
{
    internal static ReplayChangeResponse From(ReplayChange c) => new(
        c.Decision.EntryId, c.Decision.RunId, c.Decision.AccountId, c.Decision.ActionType, c.Decision.Index, c.Decision.At,
        ReplayAnswer.From(c.Before), ReplayAnswer.From(c.After), c.DecisionChanged, c.BudgetDependent);
}

/// <summary>The policy's answer: decision, reason, explanation, rule and version.</summary>
public sealed record ReplayAnswer(PolicyDecision Decision, PolicyReason Reason, string Explanation, string Rule, string PolicyVersion)
{
    internal static ReplayAnswer From(PolicyResult r) => new(r.Decision, r.Reason, r.Explanation, r.Rule, r.PolicyVersion);
}

using System.Collections.Immutable;
using Autonomy.Accounts;
using Autonomy.Ledger;
using Autonomy.Outcomes;

namespace Autonomy.Learning;

/// <summary>
/// One labelled decision: a proposal (or an action that ran alone) joined to what the ranker saw and did when it
/// was ranked, and what became of it. <see cref="Shown"/>: a person saw it in needs-input.
/// </summary>
public sealed record LearningExample(
    string RunId,
    string AccountId,
    string SellerId,
    int Position,
    string ActionType,
    ImmutableArray<string> Features,
    double EngineConfidence,
    string Ranker,
    double Score,
    double Propensity,
    DateTimeOffset DecidedAt,
    bool Shown,
    bool Wanted,
    double Weight,
    OutcomeV1 DecidedBy)
{
    public double Label => Wanted ? 1 : 0;
}

/// <summary>
/// The learning dataset, rebuilt from the ledger every time (nothing of it is stored elsewhere, so a crash loses
/// nothing): PROPOSALS_RANKED entries give the decision-time records, OUTCOME_RECORDED entries the outcomes, joined
/// by run id and position (the position is the suffix of a proposal's or action's id). Entries may come in any order.
/// </summary>
public sealed class LearningDatasetBuilder(double expiredWeight = OutcomeAttribution.DefaultExpiredWeight)
{
    private readonly Dictionary<(string RunId, int Position), (ProposalsRankedPayload Run, RankedProposalEntry Entry, DateTimeOffset At)> _decisions = [];
    private readonly Dictionary<(string RunId, int Position), (List<OutcomeV1> Outcomes, bool Shown)> _outcomes = [];

    /// <summary>The ledger entry types the builder reads; page the tenant's ledger by these.</summary>
    public static readonly ImmutableArray<string> Types = [LedgerTypes.ProposalsRanked, LedgerTypes.OutcomeRecorded];

    public void Add(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.RunId is not { } runId)
        {
            return;
        }

        if (entry.Type == LedgerTypes.ProposalsRanked)
        {
            var run = RankingLedger.Read<ProposalsRankedPayload>(entry);
            foreach (var p in run.Proposals)
            {
                _decisions[(runId, p.Position)] = (run, p, entry.At);
            }
        }
        else if (entry.Type == LedgerTypes.OutcomeRecorded)
        {
            var o = AccountLedger.Read<OutcomeRecordedPayload>(entry);
            if (o.Outcome is not { } outcome || PositionOf(o.ProposalId ?? o.ActionId) is not { } position)
            {
                return;
            }

            var key = (runId, position);
            if (!_outcomes.TryGetValue(key, out var list))
            {
                list = ([], o.ProposalId is not null);
                _outcomes[key] = list;
            }

            list.Outcomes.Add(outcome);
        }
    }

    public void AddRange(IEnumerable<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var e in entries)
        {
            Add(e);
        }
    }

    /// <summary>The labelled examples, oldest decision first (then run, then position): one per resolved proposal or settled action with a label.</summary>
    public ImmutableArray<LearningExample> Build()
    {
        var examples = new List<LearningExample>();
        foreach (var (key, (list, shown)) in _outcomes)
        {
            if (!_decisions.TryGetValue(key, out var d) || OutcomeAttribution.Label(list, shown, expiredWeight) is not { } label)
            {
                continue;
            }

            examples.Add(new LearningExample(
                key.RunId, d.Run.AccountId, d.Run.SellerId, key.Position, d.Entry.ActionType, d.Entry.Features, d.Entry.EngineConfidence,
                d.Run.Ranker, d.Entry.Score, d.Entry.Propensity, d.At, shown, label.Wanted, label.Weight, label.DecidedBy));
        }

        return [.. examples.OrderBy(e => e.DecidedAt).ThenBy(e => e.RunId, StringComparer.Ordinal).ThenBy(e => e.Position)];
    }

    /// <summary>"p.&lt;account&gt;.12-3" -> 3: the index the run gave the proposal, which is its display position.</summary>
    public static int? PositionOf(string? id)
    {
        var dash = id?.LastIndexOf('-') ?? -1;
        return dash >= 0 && int.TryParse(id.AsSpan(dash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : null;
    }
}

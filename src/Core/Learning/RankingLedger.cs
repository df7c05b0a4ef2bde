using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Autonomy.Ledger;

namespace Autonomy.Learning;

/// <summary>One proposal as PROPOSALS_RANKED records it: what the ranker saw, what it said, and how likely the place was.</summary>
public sealed record RankedProposalEntry(
    int Position,
    int EngineIndex,
    string ActionType,
    ImmutableArray<string> Features,
    double EngineConfidence,
    double Score,
    double? CalibratedConfidence,
    double Propensity);

/// <summary>
/// PROPOSALS_RANKED: the decision-time record of a run's ranking, written with the run and never reconstructed:
/// the ranker (a model version, or "prior"), the seller the proposals are shown to, the exploration rate in force,
/// and every proposal in display order. The learning dataset joins outcomes to it by run and position.
/// </summary>
public sealed record ProposalsRankedPayload(string Ranker, string AccountId, string SellerId, double ExplorationRate, ImmutableArray<RankedProposalEntry> Proposals) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.ProposalsRanked;
}

/// <summary>RANKING_MODEL_CHANGED: a promotion or rollback, from which version to which, by whom and why (with the gate's verdict on a promotion).</summary>
public sealed record RankingModelChangedPayload(string Change, string? From, string? To, string Reason, GateDecision? Gate) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.RankingModelChanged;
}

/// <summary>RANKING_CANDIDATE_TRAINED: a candidate trained and shadow-evaluated (on request or nightly), and the gate's verdict.</summary>
/// <remarks>
/// <see cref="Model"/> is the whole model (weights and calibrations), so every version ever trained is kept in the
/// append-only ledger and can be read back exactly, also after the ranking grain's state let it go
/// (<see cref="RankingState.MaxVersions"/>). Entries written before the model was ledgered have none.
/// </remarks>
public sealed record RankingCandidateTrainedPayload(
    string Version, string Trigger, string? Night, string Active, int Examples, int TrainExamples, int HoldoutExamples, GateDecision Gate, double TrainSeconds,
    RankingModel? Model = null) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.RankingCandidateTrained;
}

/// <summary>RANKING_EXPLORATION_CHANGED: the tenant's exploration rate (0: off).</summary>
public sealed record RankingExplorationChangedPayload(double Before, double After) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.RankingExplorationChanged;
}

/// <summary>The ranking payload types, generated at build time; combined into <see cref="LedgerJson.Options"/>.</summary>
[JsonSerializable(typeof(ProposalsRankedPayload))]
[JsonSerializable(typeof(RankingModelChangedPayload))]
[JsonSerializable(typeof(RankingCandidateTrainedPayload))]
[JsonSerializable(typeof(RankingExplorationChangedPayload))]
public sealed partial class RankingLedgerJson : JsonSerializerContext;

/// <summary>Reads ranking payloads back with the ledger's one JSON setup.</summary>
public static class RankingLedger
{
    public static T Read<T>(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return JsonSerializer.Deserialize<T>(entry.Payload, LedgerJson.Options)
            ?? throw new JsonException($"Ledger entry {entry.EntryId} ({entry.Type}) has no payload.");
    }
}

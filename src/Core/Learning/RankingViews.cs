using System.Collections.Immutable;

namespace Autonomy.Learning;

/// <summary>
/// Which ranker is active for a tenant and how much it explores. The ranking grain owns it; the tenant keeps a copy
/// that accounts read with their kill switches, so a run asks the ranking grain for a model only when it changed.
/// It is not autonomy configuration: changing it never moves the tenant's config version (the policy's input).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.RankingPointer")]
public sealed record RankingPointer([property: Id(0)] string? Version, [property: Id(1)] double ExplorationRate)
{
    public static readonly RankingPointer Prior = new(null, 0);
}

/// <summary>How one proposal was ranked when it was made (carried by the proposal, so the queue can be re-ranked).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.ProposalRanking")]
public sealed record ProposalRanking(
    [property: Id(0)] string Ranker,
    [property: Id(1)] ImmutableArray<string> Features,
    [property: Id(2)] double Score,
    [property: Id(3)] double? CalibratedConfidence,
    [property: Id(4)] int Position,
    [property: Id(5)] double Propensity);

public enum RankingStatus
{
    /// <summary>Trained and shadow-evaluated; the gate passed, it may be promoted.</summary>
    Candidate,

    /// <summary>Trained and shadow-evaluated; the gate failed, promotion is refused.</summary>
    Blocked,

    /// <summary>The ranker in use.</summary>
    Active,

    /// <summary>Was active, replaced by a promotion or a rollback.</summary>
    Retired,
}

/// <summary>One stored version: its model, its shadow evaluation against the ranker active when it was trained, and the gate's verdict.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.RankingVersion")]
public sealed record RankingVersion(
    [property: Id(0)] RankingModel Model,
    [property: Id(1)] ShadowEvaluation Evaluation,
    [property: Id(2)] GateDecision Gate,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] string Trigger,
    [property: Id(5)] string? ActivatedFrom = null);

/// <summary>A version as the API lists it (no weights).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.RankingVersionView")]
public sealed record RankingVersionView(
    [property: Id(0)] string Version,
    [property: Id(1)] RankingStatus Status,
    [property: Id(2)] bool Active,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] string Trigger,
    [property: Id(5)] ShadowEvaluation Evaluation,
    [property: Id(6)] GateDecision Gate,
    [property: Id(7)] int Features,
    [property: Id(8)] ImmutableDictionary<string, Calibration> Calibrations);

/// <summary>One promotion or rollback, as the ranking grain remembers it (the ledger has them all).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.RankingChange")]
public sealed record RankingChange(
    [property: Id(0)] string Change,
    [property: Id(1)] string? From,
    [property: Id(2)] string? To,
    [property: Id(3)] string Actor,
    [property: Id(4)] DateTimeOffset At);

/// <summary>The active ranker and, when the caller's cached version differs, its model.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.ActiveRanking")]
public sealed record ActiveRanking([property: Id(0)] RankingPointer Pointer, [property: Id(1)] RankingModel? Model, [property: Id(2)] bool Changed);

/// <summary>The models list: every kept version, newest first, the active one, and the promotion history.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.learning.RankingModelsView")]
public sealed record RankingModelsView(
    [property: Id(0)] string Active,
    [property: Id(1)] double ExplorationRate,
    [property: Id(2)] ImmutableArray<RankingVersionView> Versions,
    [property: Id(3)] ImmutableArray<RankingChange> History,
    [property: Id(4)] string? LastNight);

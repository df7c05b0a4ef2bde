using Autonomy.Common;
using Orleans.Concurrency;

namespace Autonomy.Learning;

/// <summary>A tenant's ranking models: versions, the active one, shadow evaluations, promotion and rollback. Key: the tenant id.</summary>
[Alias("autonomy.IRankingGrain")]
public interface IRankingGrain : IGrainWithStringKey
{
    /// <summary>Returns the active ranker, with its model only when it is not <paramref name="knownVersion"/>.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetActive"), ReadOnly]
    Task<ActiveRanking> GetActiveAsync(string? knownVersion);

    /// <summary>Returns one version's model exactly as stored; 404 when it is not kept.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetModel"), ReadOnly]
    Task<RankingModel> GetModelAsync(string version);

    /// <summary>Lists every kept version, newest first, and the promotion history.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetModels"), ReadOnly]
    Task<RankingModelsView> GetModelsAsync();

    /// <summary>Returns one version with its evaluation report; 404 when it is not kept.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetVersion"), ReadOnly]
    Task<RankingVersionView> GetVersionAsync(string version);

    /// <summary>Builds the dataset from the ledger, trains a candidate, shadow-evaluates it against the active ranker and stores it (ledgered).</summary>
    [Alias("Calibrate")]
    Task<RankingVersionView> CalibrateAsync(Actor actor);

    /// <summary>Makes a candidate active; 409 naming the failed checks when its gate did not pass (ledgered RANKING_MODEL_CHANGED).</summary>
    [Alias("Promote")]
    Task<RankingVersionView> PromoteAsync(string version, Actor actor);

    /// <summary>Makes the version that was active before <paramref name="version"/> active again, exactly as it was (ledgered RANKING_MODEL_CHANGED).</summary>
    [Alias("Rollback")]
    Task<RankingVersionView> RollbackAsync(string version, Actor actor);

    /// <summary>Sets the tenant's exploration rate (0 to 0.5; 0 is off, the default); ledgered.</summary>
    [Alias("SetExploration")]
    Task<RankingPointer> SetExplorationAsync(double rate, Actor actor);

    /// <summary>Registers the nightly calibration reminder (idempotent); called when the tenant first ranks with learning.</summary>
    [Alias("EnsureNightly")]
    Task EnsureNightlyAsync();
}

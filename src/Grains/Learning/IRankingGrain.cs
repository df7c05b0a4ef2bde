using Autonomy.Common;
using Orleans.Concurrency;

namespace Autonomy.Learning;

/// <summary>A tenant's ranking models: versions, the active one, shadow evaluations, promotion and rollback. Key: the tenant id.</summary>
[Alias("autonomy.learning.IRankingGrain")]
public interface IRankingGrain : IGrainWithStringKey
{
    /// <summary>Returns the active ranker, with its model only when it is not <paramref name="knownVersion"/>.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("learning.GetActive"), ReadOnly]
    Task<ActiveRanking> GetActiveAsync(string? knownVersion);

    /// <summary>Returns one version's model exactly as stored; 404 when it is not kept.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("learning.GetModel"), ReadOnly]
    Task<RankingModel> GetModelAsync(string version);

    /// <summary>Lists every kept version, newest first, and the promotion history.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("learning.GetModels"), ReadOnly]
    Task<RankingModelsView> GetModelsAsync();

    /// <summary>Returns one version with its evaluation report; 404 when it is not kept.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("learning.GetVersion"), ReadOnly]
    Task<RankingVersionView> GetVersionAsync(string version);

    /// <summary>Builds the dataset from the ledger, trains a candidate, shadow-evaluates it against the active ranker and stores it (ledgered).</summary>
    [Alias("learning.Calibrate")]
    Task<RankingVersionView> CalibrateAsync(Actor actor);

    /// <summary>Makes a candidate active; 409 naming the failed checks when its gate did not pass (ledgered RANKING_MODEL_CHANGED).</summary>
    [Alias("learning.Promote")]
    Task<RankingVersionView> PromoteAsync(string version, Actor actor);

    /// <summary>Makes the version that was active before <paramref name="version"/> active again, exactly as it was (ledgered RANKING_MODEL_CHANGED).</summary>
    [Alias("learning.Rollback")]
    Task<RankingVersionView> RollbackAsync(string version, Actor actor);

    /// <summary>Sets the tenant's exploration rate (0 to 0.5; 0 is off, the default); ledgered.</summary>
    [Alias("learning.SetExploration")]
    Task<RankingPointer> SetExplorationAsync(double rate, Actor actor);

    /// <summary>Calibrates for tonight when it is due and has not run yet (the reminder's job, callable directly); returns the version trained, or null.</summary>
    [Alias("learning.RunNightly")]
    Task<string?> RunNightlyAsync();

    /// <summary>Wakes the grain, whose activation registers the nightly calibration reminder (idempotent); one-way, so the tenant's activation can call it.</summary>
    [OneWay]
    [Alias("learning.EnsureNightly")]
    Task EnsureNightlyAsync();
}

using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Autonomy.Common;
using Autonomy.Hosting;
using Autonomy.Ledger;
using Autonomy.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Autonomy.Learning;

/// <summary>
/// A tenant's ranking: calibrate (dataset from the ledger, train, shadow-evaluate, store), promote through the gate,
/// roll back exactly, and the nightly calibration from this grain's reminder. Every change is ledgered on the
/// stream <c>ranking/{tenant}</c> before it is stored; the active pointer is then copied to the tenant, where
/// accounts read it. Nothing here touches the policy or its configuration.
/// </summary>
[GrainType("autonomy.ranking")]
public sealed class RankingGrain(
    [PersistentState("ranking", "autonomy")] IPersistentState<RankingState> state,
    ILedger ledger,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time,
    IOptions<LearningOptions> options,
    ILogger<RankingGrain> logger) : Grain, IRankingGrain, IRemindable
{
    private const string NightlyReminder = "nightly-calibration";

    private LedgerStream? _stream;

    private string TenantId => this.GetPrimaryKeyString();

    private LedgerStream Stream => _stream ??= new LedgerStream(ledger, time, TenantId, $"ranking/{TenantId}");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await EnsureNightlyAsync();
        await PublishAsync();
    }

    public Task<ActiveRanking> GetActiveAsync(string? knownVersion)
    {
        var s = state.State;
        var changed = knownVersion != s.Active;
        return Task.FromResult(new ActiveRanking(s.Pointer, changed && s.Active is { } v ? s.Find(v)?.Model : null, changed));
    }

    public Task<RankingModel> GetModelAsync(string version) => Task.FromResult(Require(version).Model);

    public Task<RankingModelsView> GetModelsAsync()
    {
        var s = state.State;
        return Task.FromResult(new RankingModelsView(
            s.Active ?? RankingModel.Prior, s.ExplorationRate, [.. s.Versions.Reverse().Select(s.View)], [.. s.History.Reverse()], s.LastNight?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
    }

    public Task<RankingVersionView> GetVersionAsync(string version) => Task.FromResult(state.State.View(Require(version)));

    public Task<RankingVersionView> CalibrateAsync(Actor actor) => TrainAsync("manual", null, actor);

    public async Task<RankingVersionView> PromoteAsync(string version, Actor actor)
    {
        var s = state.State;
        var candidate = Require(version);
        if (s.Active == version)
        {
            return s.View(candidate);
        }

        if (!candidate.Gate.Passed)
        {
            throw new ConflictException("RANKING_GATE_FAILED", $"Version {version} did not pass its shadow evaluation: {string.Join(" ", candidate.Gate.Reasons)}");
        }

        var active = s.Active ?? RankingModel.Prior;
        if (candidate.Evaluation.Active != active)
        {
            throw new ConflictException("RANKING_EVALUATION_STALE", $"Version {version} was evaluated against {candidate.Evaluation.Active}, but {active} is active now; calibrate again to evaluate a candidate against it.");
        }

        await Stream.AppendAsync(null, actor, new RankingModelChangedPayload("PROMOTE", s.Active, version, "The candidate passed the promotion gate.", candidate.Gate));
        var promoted = candidate with { ActivatedFrom = s.Active };
        await WriteAsync(s.Replace(promoted).WithChange(new RankingChange("PROMOTE", s.Active, version, actor.Id, time.GetUtcNow())) with { Active = version });
        await PublishAsync();
        return state.State.View(promoted);
    }

    public async Task<RankingVersionView> RollbackAsync(string version, Actor actor)
    {
        var s = state.State;
        var current = Require(version);
        if (s.Active != version)
        {
            throw new ConflictException("RANKING_NOT_ACTIVE", $"Version {version} is not active ({s.Active ?? RankingModel.Prior} is); only the active version can be rolled back.");
        }

        // A ranker the bound on kept versions dropped cannot be restored (no account could load it): the prior it is.
        var previous = s.RollbackTargetOf(current);
        var explanation = previous == current.ActivatedFrom
            ? $"Rolled back to {previous ?? RankingModel.Prior}, the ranker active before {version}."
            : $"Rolled back to {RankingModel.Prior}: {current.ActivatedFrom}, the ranker active before {version}, is no longer kept (at most {RankingState.MaxVersions} versions are).";
        await Stream.AppendAsync(null, actor, new RankingModelChangedPayload(
            "ROLLBACK", version, previous, explanation, null));
        await WriteAsync(s.WithChange(new RankingChange("ROLLBACK", version, previous, actor.Id, time.GetUtcNow())) with { Active = previous });
        await PublishAsync();
        return state.State.View(current);
    }

    public async Task<RankingPointer> SetExplorationAsync(double rate, Actor actor)
    {
        if (!double.IsFinite(rate) || rate is < 0 or > 0.5)
        {
            throw new ValidationFailedException("rate", "rate must be a number from 0 (off) to 0.5.");
        }

        var s = state.State;
        await Stream.AppendAsync(null, actor, new RankingExplorationChangedPayload(s.ExplorationRate, rate));
        await WriteAsync(s with { ExplorationRate = rate });
        await PublishAsync();
        return state.State.Pointer;
    }

    public async Task EnsureNightlyAsync()
    {
        if (await this.GetReminder(NightlyReminder) is null)
        {
            await this.RegisterOrUpdateReminder(NightlyReminder, options.Value.NightlyTick, options.Value.NightlyTick);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == NightlyReminder ? RunNightlyAsync() : Task.CompletedTask;

    public async Task<string?> RunNightlyAsync()
    {
        if (NightlyCalibration.Due(state.State.LastNight, time.GetUtcNow(), options.Value.NightlyHourUtc) is not { } night)
        {
            return null;
        }

        var examples = await DatasetAsync(time.GetUtcNow());
        if (examples.IsEmpty)
        {
            // Nothing to learn from yet (a tenant without answered proposals): tonight is done, nothing is stored.
            await WriteAsync(state.State with { LastNight = night });
            return null;
        }

        var trained = await TrainAsync("nightly", night, Actor.System, examples);
        return trained.Version;
    }

    /// <summary>Dataset from the ledger, split by time, a candidate trained on the older part and shadow-evaluated on the newer, then stored.</summary>
    private async Task<RankingVersionView> TrainAsync(string trigger, DateOnly? night, Actor actor, ImmutableArray<LearningExample>? dataset = null)
    {
        var now = time.GetUtcNow();
        var examples = dataset ?? await DatasetAsync(now);
        var (train, holdout) = Shadow.Split(examples);
        var s = state.State;
        var version = $"v{s.Counter + 1}";
        var active = s.Active is { } a ? s.Find(a)?.Model : null;
        var clock = Stopwatch.StartNew();
        var (model, evaluation) = await Task.Run(() =>
        {
            var m = RankingTrainer.Train(version, train, now);
            return (m, Shadow.Evaluate(m, active, train, holdout));
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var gate = PromotionGate.Decide(evaluation, options.Value.Gate);
        await Stream.AppendAsync(null, actor, new RankingCandidateTrainedPayload(
            version, trigger, night?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), evaluation.Active, examples.Length, train.Length, holdout.Length, gate, seconds, model));
        var stored = new RankingVersion(model, evaluation, gate, now, trigger);
        await WriteAsync(s.WithVersion(stored) with { Counter = s.Counter + 1, LastNight = night ?? s.LastNight });
        logger.LogInformation("Ranking candidate {Version} of {TenantId} trained on {Examples} outcomes in {Seconds:0.00} s; gate {Gate}", version, TenantId, train.Length, seconds, gate.Passed ? "passed" : "failed");
        return state.State.View(stored);
    }

    /// <summary>The learning dataset, rebuilt from the tenant's ledger (decision-time records and outcomes of the window).</summary>
    private async Task<ImmutableArray<LearningExample>> DatasetAsync(DateTimeOffset now)
    {
        var builder = new LearningDatasetBuilder();
        foreach (var type in LearningDatasetBuilder.Types)
        {
            string? cursor = null;
            do
            {
                var page = await ledger.QueryAsync(new LedgerQuery(TenantId, Type: type, From: now - options.Value.Window, Limit: 1000, Cursor: cursor) { LongRead = true });
                builder.AddRange(page.Items);
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }

        return builder.Build();
    }

    /// <summary>Copies the active pointer to the tenant (idempotent), so accounts pick it up with their next reading.</summary>
    private Task PublishAsync() => GrainFactory.GetGrain<ITenantGrain>(TenantId).SetRankingAsync(state.State.Pointer);

    private RankingVersion Require(string version) =>
        state.State.Find(version) ?? throw new NotFoundException($"Ranking model version {version} does not exist (GET .../ranking/models lists the kept versions).");

    private Task WriteAsync(RankingState next) => state.ReplaceAsync(next);
}

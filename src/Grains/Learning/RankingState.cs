using System.Collections.Immutable;

namespace Autonomy.Learning;

/// <summary>
/// A tenant's ranking state: every kept version (model, evaluation, gate), the active one, the promotion and
/// rollback history, the exploration rate and the last night calibrated. Bounded: <see cref="MaxVersions"/>
/// versions (beyond it the oldest that is neither active nor a rollback target goes; its entries stay in the
/// ledger) and <see cref="MaxHistory"/> changes.
/// </summary>
[GenerateSerializer, Alias("autonomy.learning.RankingState")]
public sealed record RankingState
{
    public const int MaxVersions = 50;
    public const int MaxHistory = 500;

    /// <summary>Oldest first.</summary>
    [Id(0)] public ImmutableList<RankingVersion> Versions { get; init; } = ImmutableList<RankingVersion>.Empty;

    /// <summary>The active version; null: the prior.</summary>
    [Id(1)] public string? Active { get; init; }

    [Id(2)] public ImmutableList<RankingChange> History { get; init; } = ImmutableList<RankingChange>.Empty;

    [Id(3)] public double ExplorationRate { get; init; }

    [Id(4)] public DateOnly? LastNight { get; init; }

    /// <summary>The number of the last version trained (versions are "v1", "v2", ...).</summary>
    [Id(5)] public long Counter { get; init; }

    public RankingPointer Pointer => new(Active, ExplorationRate);

    public RankingVersion? Find(string version) => Versions.FirstOrDefault(v => v.Model.Version == version);

    public RankingState WithVersion(RankingVersion version)
    {
        var list = Versions.Add(version);
        while (list.Count > MaxVersions)
        {
            var keep = list.Where(v => v.Model.Version == Active).Select(v => v.ActivatedFrom).Append(Active).ToHashSet();
            var drop = list.FirstOrDefault(v => !keep.Contains(v.Model.Version));
            if (drop is null)
            {
                break;
            }

            list = list.Remove(drop);
        }

        return this with { Versions = list };
    }

    public RankingState WithChange(RankingChange change)
    {
        var list = History.Add(change);
        return this with { History = list.Count > MaxHistory ? list.RemoveRange(0, list.Count - MaxHistory) : list };
    }

    public RankingState Replace(RankingVersion version) =>
        this with { Versions = Versions.Replace(Find(version.Model.Version)!, version) };

    public RankingStatus StatusOf(RankingVersion v) =>
        v.Model.Version == Active ? RankingStatus.Active
        : History.Any(h => h.To == v.Model.Version) ? RankingStatus.Retired
        : v.Gate.Passed ? RankingStatus.Candidate : RankingStatus.Blocked;

    public RankingVersionView View(RankingVersion v) => new(
        v.Model.Version, StatusOf(v), v.Model.Version == Active, v.CreatedAt, v.Trigger, v.Evaluation, v.Gate, v.Model.Weights.Count, v.Model.Calibrations);
}

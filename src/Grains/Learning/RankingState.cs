using System.Collections.Immutable;

namespace Autonomy.Learning;

/// <summary>
/// A tenant's ranking state: every kept version (model, evaluation, gate), the active one, the promotion and
/// rollback history, the exploration rate and the last night calibrated. Bounded: <see cref="MaxVersions"/>
/// versions (beyond it the oldest that no chain of rollbacks from the active version reaches goes; its entries
/// stay in the ledger) and <see cref="MaxHistory"/> changes.
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

    /// <summary>
    /// Adds a trained version. Beyond <see cref="MaxVersions"/> the oldest version that no rollback can reach goes
    /// first: the active one and every version a chain of rollbacks from it leads to (<see cref="RollbackChain"/>) are
    /// kept while anything else can go; only a chain longer than the bound loses its farthest (oldest) targets.
    /// </summary>
    public RankingState WithVersion(RankingVersion version)
    {
        var list = Versions.Add(version);
        if (list.Count <= MaxVersions)
        {
            return this with { Versions = list };
        }

        var chain = this with { Versions = list };
        var keep = chain.RollbackChain().ToHashSet(StringComparer.Ordinal);
        var excess = list.Count - MaxVersions;
        var drop = list.Where(v => !keep.Contains(v.Model.Version)).Take(excess).ToList();
        if (drop.Count < excess)
        {
            // Only the chain is left to give: its oldest members, never the active version nor the one just trained.
            drop.AddRange(list.Where(v => keep.Contains(v.Model.Version) && v.Model.Version != Active && !ReferenceEquals(v, version)).Take(excess - drop.Count));
        }

        return this with { Versions = list.RemoveRange(drop) };
    }

    /// <summary>
    /// The active version and the versions successive rollbacks from it would activate, nearest first (each
    /// version's <see cref="RankingVersion.ActivatedFrom"/>), as far as they are kept; empty under the prior.
    /// </summary>
    public IEnumerable<string> RollbackChain()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var at = Active is { } a ? Find(a) : null; at is not null && seen.Add(at.Model.Version); at = at.ActivatedFrom is { } from ? Find(from) : null)
        {
            yield return at.Model.Version;
        }
    }

    /// <summary>
    /// Where a rollback of <paramref name="current"/> goes: the version active before it when that version is still
    /// kept, else the prior (null). Never a version this state no longer holds, which no account could load.
    /// </summary>
    public string? RollbackTargetOf(RankingVersion current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return current.ActivatedFrom is { } from && Find(from) is not null ? from : null;
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

using System.Collections.Immutable;
using Autonomy.Accounts;

namespace Autonomy.Sellers;

/// <summary>A seller's queue, timeline index and digest inputs. Immutable: a change replaces the whole value.</summary>
[GenerateSerializer, Alias("autonomy.SellerState")]
public sealed record SellerState
{
    [Id(0)] public ImmutableDictionary<string, ProposalView> NeedsInput { get; init; } = ImmutableDictionary<string, ProposalView>.Empty;

    /// <summary>Executed actions, newest last (bounded).</summary>
    [Id(1)] public ImmutableList<ActionView> Timeline { get; init; } = ImmutableList<ActionView>.Empty;

    /// <summary>Skipped runs and actions, newest last (bounded).</summary>
    [Id(2)] public ImmutableList<SkippedItem> Skipped { get; init; } = ImmutableList<SkippedItem>.Empty;

    [Id(3)] public DigestSettings Digest { get; init; } = DigestSettings.Default;

    /// <summary>The local date of the last digest that went out.</summary>
    [Id(4)] public DateOnly? LastDigest { get; init; }

    /// <summary>The seller's accounts opted in to autonomous schedules (bounded by <see cref="MaxScheduleOptIns"/>).</summary>
    [Id(5)] public ImmutableHashSet<string> ScheduleOptIns { get; init; } = ImmutableHashSet<string>.Empty;

    public const int MaxTimeline = 1000;
    public const int MaxSkipped = 500;

    /// <summary>The queue keeps the newest proposals; the accounts keep theirs (each up to its own bound) either way.</summary>
    public const int MaxNeedsInput = 2000;

    public const int MaxScheduleOptIns = 10_000;
}

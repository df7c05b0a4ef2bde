using System.Collections.Immutable;
using Autonomy.Accounts;

namespace Autonomy.Sellers;

/// <summary>When and where a seller's daily digest goes. <see cref="DeliverAt"/> is local time in <see cref="TimeZone"/>.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.DigestSettings")]
public sealed record DigestSettings(
    [property: Id(0)] bool Enabled,
    [property: Id(1)] TimeOnly DeliverAt,
    [property: Id(2)] string TimeZone,
    [property: Id(3)] string? WebhookUrl)
{
    public static readonly DigestSettings Default = new(false, new TimeOnly(7, 0), "UTC", null);
}

/// <summary>Something the system decided not to do, with its reason, for the digest.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.SkippedItem")]
public sealed record SkippedItem(
    [property: Id(0)] string AccountId,
    [property: Id(1)] string RunId,
    [property: Id(2)] string Step,
    [property: Id(3)] string Reason,
    [property: Id(4)] string Explanation,
    [property: Id(5)] DateTimeOffset At);

/// <summary>The daily digest: done, skipped with reasons, waiting, budget use.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.DigestView")]
public sealed record DigestView(
    [property: Id(0)] string SellerId,
    [property: Id(1)] DateOnly Date,
    [property: Id(2)] ImmutableArray<ActionView> Done,
    [property: Id(3)] ImmutableArray<SkippedItem> Skipped,
    [property: Id(4)] ImmutableArray<ProposalView> Waiting,
    [property: Id(5)] int AutonomousActions,
    [property: Id(6)] DigestSettings Settings);

/// <summary>A page of a list, newest first, with the cursor of the next page (null at the end).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ItemPage`1")]
public sealed record ItemPage<T>([property: Id(0)] ImmutableArray<T> Items, [property: Id(1)] string? NextCursor);

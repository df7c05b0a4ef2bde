namespace Autonomy.Ledger;

/// <summary>
/// One step written to the append-only ledger. <see cref="Payload"/> is the JSON text exactly as stored and
/// hashed; <see cref="Hash"/> is SHA-256 over the canonical entry and <see cref="PrevHash"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] string EntryId,
    [property: Id(1)] string TenantId,
    [property: Id(2)] string StreamId,
    [property: Id(3)] long Seq,
    [property: Id(4)] string? RunId,
    [property: Id(5)] string Type,
    [property: Id(6)] DateTimeOffset At,
    [property: Id(7)] string Actor,
    [property: Id(8)] string Payload,
    [property: Id(9)] string PrevHash,
    [property: Id(10)] string Hash);

/// <summary>The last entry of a stream, read by the writing grain on activation.</summary>
public sealed record LedgerHead(string StreamId, long Seq, string Hash);

/// <summary>Filters of the ledger read endpoint; every filter is optional but the tenant.</summary>
public sealed record LedgerQuery(
    string TenantId,
    string? AccountId = null,
    string? RunId = null,
    string? Type = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int Limit = 100,
    string? Cursor = null);

/// <summary>A page of entries, oldest first, and the cursor of the next page (null at the end).</summary>
public sealed record LedgerPage(IReadOnlyList<LedgerEntry> Items, string? NextCursor);

/// <summary>The result of walking a tenant's chains.</summary>
public sealed record LedgerVerification(bool Ok, long Entries, string? FirstBrokenEntryId, string? Problem);

/// <summary>The store could not durably write; callers must not perform the side effect that depended on it.</summary>
[GenerateSerializer, Alias("autonomy.LedgerUnavailableException")]
public sealed class LedgerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Another writer already holds this (stream, seq): the writer's head is stale.</summary>
[GenerateSerializer, Alias("autonomy.LedgerConflictException")]
public sealed class LedgerConflictException(string streamId, long seq)
    : Exception($"Ledger stream '{streamId}' already has an entry with seq {seq}.")
{
    [Id(0)]
    public string StreamId { get; } = streamId;

    [Id(1)]
    public long Seq { get; } = seq;
}

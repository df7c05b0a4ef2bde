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
    string? Cursor = null)
{
    /// <summary>One page of a long walk (a calibration's dataset): read on the store's long-read connections, never the writer's pool.</summary>
    public bool LongRead { get; init; }
}

/// <summary>A page of entries, oldest first, and the cursor of the next page (null at the end).</summary>
public sealed record LedgerPage(IReadOnlyList<LedgerEntry> Items, string? NextCursor)
{
    /// <summary>
    /// The cursor after the last entry of this page, also on the last page (null when the page is empty): a
    /// reader tailing the ledger asks again with it later and gets only what committed since.
    /// </summary>
    public string? LastCursor { get; init; }
}

/// <summary>
/// The result of walking a tenant's chains and its checkpoints. <see cref="Entries"/> counts the entries found
/// intact (all of them when <see cref="Ok"/>); only <see cref="CheckpointedEntries"/> of them are covered by a
/// signed checkpoint, the rest are <see cref="NotYetCheckpointed"/>: intact as far as the chain shows, but a cut
/// of their tail would not show yet. <see cref="Problem"/> is one of the codes of <see cref="LedgerVerifier"/>;
/// <see cref="FirstBrokenEntryId"/> names the entry that breaks a rule or, for a problem found in the checkpoint
/// chain or against it (a truncated stream), the checkpoint ("lc_...") that shows it.
/// </summary>
public sealed record LedgerVerification(bool Ok, long Entries, string? FirstBrokenEntryId, string? Problem)
{
    /// <summary>The stream the problem is in, when it is in one.</summary>
    public string? StreamId { get; init; }

    /// <summary>Checkpoints found intact (signature, chain, hash and Merkle root) before any problem.</summary>
    public long Checkpoints { get; init; }

    /// <summary>The time of the last intact checkpoint.</summary>
    public DateTimeOffset? LastCheckpointAt { get; init; }

    /// <summary>Entries at or below the head a checkpoint recorded for their stream.</summary>
    public long CheckpointedEntries { get; init; }

    /// <summary>Entries newer than the last checkpoint of their stream; null when there are none.</summary>
    public LedgerUncheckpointed? NotYetCheckpointed { get; init; }

    /// <summary>Whether checkpoint signatures were checked (false: no key was given, e.g. an offline run without --key).</summary>
    public bool SignaturesChecked { get; init; }
}

/// <summary>How many entries no checkpoint covers yet, and the times of the oldest and newest of them.</summary>
public sealed record LedgerUncheckpointed(long Count, DateTimeOffset From, DateTimeOffset To);

/// <summary>The store could not durably write; callers must not perform the side effect that depended on it.</summary>
/// <remarks>
/// It crosses grain calls to the gateway, which answers 503 by its type. The driver's exception behind it (an
/// Npgsql or SQLite error, which Orleans has no codec for) stays in the silo as <see cref="Cause"/>, and only its type
/// and message travel in the message: an inner exception Orleans cannot serialize would turn this one into a
/// fallback exception known by name only.
/// </remarks>
[GenerateSerializer, Alias("autonomy.LedgerUnavailableException")]
public sealed class LedgerUnavailableException(string message, Exception? cause = null)
    : Exception(cause is null ? message : $"{message} ({cause.GetType().Name}: {cause.Message})")
{
    /// <summary>The store's own exception, in the process that caught it; null after a grain call carried this one.</summary>
    [field: NonSerialized]
    public Exception? Cause { get; } = cause;
}

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

using System.Collections.Immutable;
using Autonomy.Accounts;
using Autonomy.Common;

namespace Autonomy.Sellers;

/// <summary>A seller's needs-input queue, timeline and digest. Key: "{tenantId}/{sellerId}".</summary>
[Alias("autonomy.ISellerGrain")]
public interface ISellerGrain : IGrainWithStringKey
{
    /// <summary>Adds or replaces proposals in the needs-input queue.</summary>
    [Alias("AddNeedsInput")]
    Task AddNeedsInputAsync(ImmutableArray<ProposalView> proposals);

    /// <summary>Removes a proposal from the queue (resolved, expired or moved to another owner).</summary>
    [Alias("RemoveNeedsInput")]
    Task RemoveNeedsInputAsync(string proposalId);

    /// <summary>Adds or updates a timeline item.</summary>
    [Alias("RecordAction")]
    Task RecordActionAsync(ActionView action);

    /// <summary>Records something skipped, for the digest.</summary>
    [Alias("RecordSkipped")]
    Task RecordSkippedAsync(SkippedItem item);

    /// <summary>Returns proposals awaiting a human in the active ranking's order (without a model: engine confidence, then newest).</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetNeedsInput")]
    Task<ItemPage<ProposalView>> GetNeedsInputAsync(int limit, string? cursor);

    /// <summary>Returns executed actions, newest first.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetTimeline")]
    Task<ItemPage<ActionView>> GetTimelineAsync(int limit, string? cursor);

    /// <summary>Returns the digest of one day.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetDigest")]
    Task<DigestView> GetDigestAsync(DateOnly date);

    /// <summary>Returns the digest settings.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("GetDigestSettings")]
    Task<DigestSettings> GetDigestSettingsAsync();

    /// <summary>Remembers (or forgets) an account of this seller that opted in to autonomous schedules, to revoke it when the digest is switched off.</summary>
    [Alias("TrackScheduleOptIn")]
    Task TrackScheduleOptInAsync(string accountId, bool optedIn);

    /// <summary>Replaces the digest settings (ledgered); switching the digest off revokes the Mode 4 opt-ins of the seller's accounts.</summary>
    [Alias("SetDigestSettings")]
    Task<DigestSettings> SetDigestSettingsAsync(DigestSettings settings, Actor actor);
}

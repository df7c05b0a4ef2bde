namespace Autonomy.Live;

/// <summary>
/// A change a page may want to show: which kind, where (tenant, seller, account) and which item. It carries no
/// content: a page that receives one reloads what it shows from the API, so a lost event costs nothing and an event
/// can never show more than the API would. <see cref="SellerId"/> null: the whole tenant's (kill switches, configuration).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.LiveEvent")]
public sealed record LiveEvent(
    [property: Id(0)] string Kind,
    [property: Id(1)] string TenantId,
    [property: Id(2)] string? SellerId,
    [property: Id(3)] string? AccountId,
    [property: Id(4)] string? Id,
    [property: Id(5)] DateTimeOffset At)
{
    /// <summary>The tenant id of platform-wide events (the platform kill switch), which every tenant's listeners receive.</summary>
    public const string Platform = "_platform";

    /// <summary>Whether a listener sees it: a seller (<paramref name="sellerId"/>) sees its own and the tenant's events, everyone else all of the tenant's.</summary>
    public bool VisibleTo(string tenantId, string? sellerId) =>
        (TenantId == tenantId || TenantId == Platform) && (sellerId is null || SellerId is null || SellerId == sellerId);
}

/// <summary>The kinds of <see cref="LiveEvent"/>, as Server-Sent Events name them.</summary>
public static class LiveEventKinds
{
    /// <summary>A proposal entered a seller's needs-input.</summary>
    public const string Proposal = "proposal";

    /// <summary>A proposal left a seller's needs-input (approved, edited, rejected, expired, blocked, moved).</summary>
    public const string ProposalResolved = "proposal-resolved";

    /// <summary>An action reached a seller's timeline, or changed there (reverted).</summary>
    public const string Action = "action";

    /// <summary>An outcome was recorded for an action.</summary>
    public const string Outcome = "outcome";

    /// <summary>A decision run finished.</summary>
    public const string Run = "run";

    /// <summary>The cost gate skipped a run (the digest's skipped items).</summary>
    public const string Skipped = "skipped";

    /// <summary>A kill switch was engaged or released (tenant, action type or platform).</summary>
    public const string KillSwitch = "kill-switch";

    /// <summary>The tenant's configuration changed (modes, budgets, policy, playbook, triggers, connectors, engine).</summary>
    public const string Config = "config";
}

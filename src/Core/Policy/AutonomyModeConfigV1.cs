namespace Autonomy.Policy;

/// <summary>How much autonomy a tenant grants one action type. Autonomy is opt-in: the default is <see cref="ApprovalRequired"/>.</summary>
public enum AutonomyModeV1
{
    /// <summary>Surfaced as a suggestion; the system never executes it.</summary>
    ProposeOnly,

    /// <summary>Executes only after a human approves.</summary>
    ApprovalRequired,

    /// <summary>May run on its own when the policy allows.</summary>
    AutoExecute,

    /// <summary>Never proposed or executed.</summary>
    Disabled,
}

/// <summary>One action type's mode with the version it was set at.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.AutonomyModeConfigV1")]
public sealed record AutonomyModeConfigV1(
    [property: Id(0)] string ActionType,
    [property: Id(1)] AutonomyModeV1 Mode,
    [property: Id(2)] long Version,
    [property: Id(3)] DateTimeOffset ChangedAt,
    [property: Id(4)] string ChangedBy)
{
    public const AutonomyModeV1 Default = AutonomyModeV1.ApprovalRequired;
}

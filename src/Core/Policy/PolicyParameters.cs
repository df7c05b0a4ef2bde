using System.Collections.Immutable;

namespace Autonomy.Policy;

/// <summary>Tenant-tunable parameters of the policy. Nothing here is ever written by learning.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.PolicyParameters")]
public sealed record PolicyParameters(
    [property: Id(0)] double MinConfidence,
    [property: Id(1)] ImmutableArray<string> AutoExecuteLifecycles,
    [property: Id(2)] ImmutableArray<string> BlockedLifecycles)
{
    public static readonly PolicyParameters Default = new(
        MinConfidence: 0.6,
        AutoExecuteLifecycles: ["PROSPECT", "ONBOARDING", "CUSTOMER", "RENEWAL"],
        BlockedLifecycles: ["DO_NOT_CONTACT"]);
}

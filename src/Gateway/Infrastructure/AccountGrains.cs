using Autonomy.Accounts;
using Autonomy.Common;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// Account grain references for the request paths. <c>GetGrain&lt;IAccountGrain&gt;(key)</c> resolves the grain
/// interface's type by reflection (custom attributes, type-name parsing) on every call; here that happens once and
/// each reference is made from the resolved grain type and interface type.
/// </summary>
public static class AccountGrains
{
    private static Resolved? _resolved;

    /// <summary>The account grain of <paramref name="tenantId"/>/<paramref name="accountId"/> (<see cref="Ids.AccountKey"/>).</summary>
    public static IAccountGrain Account(this IGrainFactory grains, string tenantId, string accountId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var key = Ids.AccountKey(tenantId, accountId);
        var resolved = _resolved ??= Resolve(grains);
        return (IAccountGrain)grains.GetGrain(GrainId.Create(resolved.Type, key), resolved.Interface);
    }

    private static Resolved Resolve(IGrainFactory grains)
    {
        var probe = (GrainReference)(object)grains.GetGrain<IAccountGrain>(Ids.AccountKey("probe", "probe"));
        return new Resolved(probe.GrainId.Type, probe.InterfaceType);
    }

    private sealed record Resolved(GrainType Type, GrainInterfaceType Interface);
}

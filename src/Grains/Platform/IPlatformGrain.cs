using Autonomy.Common;
using Autonomy.Tenants;
using Orleans.Concurrency;

namespace Autonomy.Platform;

/// <summary>The platform-wide kill switch, operated by the platform operator. A singleton: key <see cref="Key"/>.</summary>
[Alias("autonomy.IPlatformGrain")]
public interface IPlatformGrain : IGrainWithStringKey
{
    public const string Key = "platform";

    /// <summary>Returns the platform kill switch.</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("Get"), ReadOnly]
    Task<KillSwitchView> GetAsync();

    /// <summary>Engages or releases the platform kill switch.</summary>
    [Alias("Set")]
    Task<KillSwitchView> SetAsync(bool engaged, string? reason, Actor actor);
}

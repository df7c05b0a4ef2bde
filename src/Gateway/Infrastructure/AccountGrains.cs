using Autonomy.Accounts;
using Autonomy.Common;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>Account grain references for the request paths, made without Orleans' per-call reflection (<see cref="GrainReferences"/>).</summary>
public static class AccountGrains
{
    /// <summary>The account grain of <paramref name="tenantId"/>/<paramref name="accountId"/> (<see cref="Ids.AccountKey"/>).</summary>
    public static IAccountGrain Account(this IGrainFactory grains, string tenantId, string accountId) =>
        grains.ByKey<IAccountGrain>(Ids.AccountKey(tenantId, accountId));
}

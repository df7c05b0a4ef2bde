using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using Autonomy.Common;

namespace Autonomy.Gateway.Auth;

/// <summary>
/// What the gateway reads of a caller's claims (tenant, sub, roles, the <see cref="Actor"/> the grains see, the
/// fair-share key), read once per principal. The bearer scheme shares one principal among the requests of a cached
/// token (<see cref="ValidatedTokenCache"/>), so a token's claims are looked up once, not on every check of every request.
/// </summary>
public sealed class GatewayCaller
{
    private static readonly ConditionalWeakTable<ClaimsPrincipal, GatewayCaller> Callers = [];
    private static readonly ConditionalWeakTable<ClaimsPrincipal, GatewayCaller>.CreateValueCallback Create = user => new GatewayCaller(user);

    private GatewayCaller(ClaimsPrincipal user)
    {
        IsAuthenticated = user.Identity?.IsAuthenticated == true;
        Tenant = user.FindFirstValue(GatewayClaims.Tenant);
        Subject = user.FindFirstValue(GatewayClaims.Subject);
        Roles = user.FindAll(GatewayClaims.Role).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToImmutableArray();
        Actor = new Actor(Subject ?? "unknown", Roles);
        LimiterKey = !IsAuthenticated ? null : Tenant is { Length: > 0 } ? Tenant : "sub:" + (Subject ?? "");
    }

    public bool IsAuthenticated { get; }

    /// <summary>The first <c>tenant</c> claim, or null.</summary>
    public string? Tenant { get; }

    /// <summary>The first <c>sub</c> claim, or null.</summary>
    public string? Subject { get; }

    /// <summary>The distinct <c>role</c> claims, in the token's order.</summary>
    public ImmutableArray<string> Roles { get; }

    /// <summary>The caller as the grains see it: the token's sub (or "unknown") and roles.</summary>
    public Actor Actor { get; }

    /// <summary>The caller's fair-share partition: its tenant, else <c>sub:</c> and its sub; null when unauthenticated.</summary>
    public string? LimiterKey { get; }

    public static GatewayCaller Of(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Callers.GetValue(user, Create);
    }

    public bool HasRole(string role)
    {
        foreach (var r in Roles)
        {
            if (string.Equals(r, role, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

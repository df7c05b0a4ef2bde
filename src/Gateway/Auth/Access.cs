using System.Collections.Immutable;
using System.Security.Claims;
using Autonomy.Common;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace Autonomy.Gateway.Auth;

/// <summary>
/// Who may do what. Every tenant route needs <see cref="Tenant"/> (the token's tenant is the route's); each route
/// then names the roles allowed. A failed check is a 403 whose detail says what was missing.
/// </summary>
public static class Access
{
    /// <summary>Authenticated, and the route's tenantId is the token's tenant.</summary>
    public const string Tenant = "tenant";

    /// <summary>admin.</summary>
    public const string Admin = "admin";

    /// <summary>admin or seller (autonomy state and accounts; the kill switches stay visible to sellers).</summary>
    public const string Readers = "readers";

    /// <summary>admin, or the seller whose sub is the route's sellerId.</summary>
    public const string SellerSelf = "seller-self";

    /// <summary>admin or seller: approve, edit, reject, revert (the account grain checks the seller owns the account).</summary>
    public const string Deciders = "deciders";

    /// <summary>ingest or admin: signals, account upserts, outcomes.</summary>
    public const string Ingest = "ingest";

    /// <summary>auditor or admin: the ledger.</summary>
    public const string Ledger = "ledger";

    /// <summary>The platform operator (no tenant).</summary>
    public const string Operator = "operator";

    /// <summary>
    /// The access policies, and a fallback policy that requires an authenticated caller: an endpoint that names no
    /// policy (a route added without <c>RequireAuthorization</c>) is closed, not open. Anonymous endpoints say
    /// <c>AllowAnonymous</c> (health, OpenAPI, metrics).
    /// </summary>
    public static AuthorizationBuilder AddAccessPolicies(this AuthorizationBuilder authorization) => authorization
        .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
        .AddPolicy(Tenant, p => p.RequireAuthenticatedUser().AddRequirements(new TenantRequirement()))
        .AddPolicy(Admin, p => p.RequireAuthenticatedUser().AddRequirements(new RoleRequirement(Actor.Admin)))
        .AddPolicy(Readers, p => p.RequireAuthenticatedUser().AddRequirements(new RoleRequirement(Actor.Admin, Actor.Seller)))
        .AddPolicy(SellerSelf, p => p.RequireAuthenticatedUser().AddRequirements(new SellerSelfRequirement()))
        .AddPolicy(Deciders, p => p.RequireAuthenticatedUser().AddRequirements(new RoleRequirement(Actor.Admin, Actor.Seller)))
        .AddPolicy(Ingest, p => p.RequireAuthenticatedUser().AddRequirements(new RoleRequirement(Actor.Ingest, Actor.Admin)))
        .AddPolicy(Ledger, p => p.RequireAuthenticatedUser().AddRequirements(new RoleRequirement(Actor.Auditor, Actor.Admin)))
        .AddPolicy(Operator, p => p.RequireAuthenticatedUser().AddRequirements(new RoleRequirement(Actor.Operator)));

    /// <summary>The caller as the grains see it: the token's sub and roles.</summary>
    public static Actor ToActor(this ClaimsPrincipal user)
    {
        return GatewayCaller.Of(user).Actor;
    }

    public static ImmutableArray<string> Roles(this ClaimsPrincipal user) => GatewayCaller.Of(user).Roles;

    public static bool IsOnly(this ClaimsPrincipal user, string role) =>
        GatewayCaller.Of(user) is var caller && caller.HasRole(role) && !caller.HasRole(Actor.Admin);
}

public sealed record TenantRequirement : IAuthorizationRequirement;

public sealed record RoleRequirement(params string[] Roles) : IAuthorizationRequirement;

public sealed record SellerSelfRequirement : IAuthorizationRequirement;

/// <summary>Checks the access requirements against the token's claims and the route's values.</summary>
public sealed class AccessHandler : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var route = (context.Resource as HttpContext)?.Request.RouteValues;
        var caller = GatewayCaller.Of(context.User);
        // Every requirement, not only the pending ones: the checks are pure, so deciding one twice changes nothing.
        foreach (var requirement in context.Requirements)
        {
            var failure = requirement switch
            {
                TenantRequirement => CheckTenant(caller, route?["tenantId"] as string),
                RoleRequirement roles => HasAny(caller, roles.Roles)
                    ? null
                    : $"This needs one of the roles {string.Join(", ", roles.Roles)}; the token has {Describe(context.User)}.",
                SellerSelfRequirement => CheckSellerSelf(caller, route?["sellerId"] as string),
                _ => "skip",
            };

            if (failure is null)
            {
                context.Succeed(requirement);
            }
            else if (failure != "skip")
            {
                context.Fail(new AuthorizationFailureReason(this, failure));
            }
        }

        return Task.CompletedTask;
    }

    private static bool HasAny(GatewayCaller caller, string[] roles)
    {
        foreach (var role in roles)
        {
            if (caller.HasRole(role))
            {
                return true;
            }
        }

        return false;
    }

    private static string? CheckTenant(GatewayCaller caller, string? routeTenant)
    {
        var tenant = caller.Tenant;
        return tenant is null
            ? "The token carries no tenant claim."
            : routeTenant is not null && !string.Equals(tenant, routeTenant, StringComparison.Ordinal)
                ? $"The token is for tenant '{tenant}', not '{routeTenant}'."
                : null;
    }

    private static string? CheckSellerSelf(GatewayCaller caller, string? sellerId)
    {
        if (caller.HasRole(Actor.Admin))
        {
            return null;
        }

        if (!caller.HasRole(Actor.Seller))
        {
            return $"This needs the role admin, or seller for your own queue; the token has {Describe(caller.Roles)}.";
        }

        return string.Equals(caller.Subject, sellerId, StringComparison.Ordinal)
            ? null
            : "A seller may read and change only its own queue, timeline and digest (sellerId must be the token's sub).";
    }

    private static string Describe(ClaimsPrincipal user) => Describe(user.Roles());

    private static string Describe(ImmutableArray<string> roles) =>
        roles is { Length: > 0 } ? "roles " + string.Join(", ", roles) : "no role";
}

/// <summary>
/// Answers a failed authorization with a problem details 403 that says what was missing (401 comes from the bearer
/// challenge); a request that matched no endpoint goes on to its 404.
/// </summary>
public sealed class ProblemAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _fallback = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (!authorizeResult.Succeeded && context.GetEndpoint() is null)
        {
            // No endpoint matched: the fallback policy closes endpoints, and a path that has none stays a plain 404.
            await next(context);
            return;
        }

        if (!authorizeResult.Forbidden)
        {
            await _fallback.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Select(r => r.Message).ToList() ?? [];
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = reasons.Count > 0 ? string.Join(" ", reasons) : "The token's tenant or roles do not allow this.",
            },
        });
    }
}

using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Auth;

/// <summary>
/// The gateway's <c>Bearer</c> scheme: a token in the <c>Authorization</c> header that <see cref="ValidatedTokenCache"/>
/// holds is accepted with the ticket (principal, claims) built when it was validated, shared by its requests; anything else goes to the JWT bearer handler
/// (scheme <see cref="ValidatingScheme"/>: signature, issuer, audience, times, <see cref="TokenRules"/>), and a token it
/// accepts is cached. Challenges and refusals are the JWT handler's (401 problem details).
/// </summary>
public sealed class CachedBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ValidatedTokenCache cache,
    IOptionsMonitor<JwtBearerOptions> jwt)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme callers name (<c>Authorization: Bearer</c>).</summary>
    public const string SchemeName = JwtBearerDefaults.AuthenticationScheme;

    /// <summary>The JWT bearer handler that validates a token the cache does not hold.</summary>
    public const string ValidatingScheme = "BearerValidation";

    private const string Prefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var parameters = jwt.Get(ValidatingScheme).TokenValidationParameters;
        var authorization = Request.Headers.Authorization.ToString();
        var token = HeaderToken(authorization);
        return !token.IsEmpty && cache.Find(token, parameters) is { } ticket
            ? Task.FromResult(AuthenticateResult.Success(ticket))
            : ValidateAsync(authorization, parameters);
    }

    private async Task<AuthenticateResult> ValidateAsync(string authorization, object parameters)
    {
        var result = await Context.AuthenticateAsync(ValidatingScheme);
        if (!result.Succeeded)
        {
            return result;
        }

        // Only what the JWT handler accepted, from the header it read it from, and only with an expiry.
        var token = HeaderToken(authorization);
        var ticket = new AuthenticationTicket(result.Principal, result.Properties, SchemeName);
        if (!token.IsEmpty && result.Properties.ExpiresUtc is { } expires)
        {
            cache.Add(token.ToString(), ticket, expires, parameters);
        }

        return AuthenticateResult.Success(ticket);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => Context.ChallengeAsync(ValidatingScheme, properties);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => Context.ForbidAsync(ValidatingScheme, properties);

    /// <summary>The token as the JWT bearer handler reads it: after <c>Bearer </c> (any case), trimmed; empty when there is none.</summary>
    public static ReadOnlySpan<char> HeaderToken(string authorization) =>
        authorization.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? authorization.AsSpan(Prefix.Length).Trim() : [];
}

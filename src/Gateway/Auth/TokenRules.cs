using System.Globalization;
using Autonomy.Common;

namespace Autonomy.Gateway.Auth;

/// <summary>
/// What a gateway token may not be, beyond its signature, issuer, audience and times: one that lives longer than
/// <see cref="AuthOptions.MaxTokenLifetime"/>, or one whose subject is the engine's own (<see cref="Actor.System"/>),
/// under which nobody may appear in the ledger. The server refuses such tokens (401) and <c>mint-token</c> never mints one.
/// </summary>
public static class TokenRules
{
    /// <summary>
    /// Why a token whose signature, issuer, audience and times were accepted is still refused, or null: no <c>sub</c>,
    /// the reserved subject, or a lifetime beyond <paramref name="max"/>. Absent times are null.
    /// </summary>
    public static string? Refusal(string? subject, DateTimeOffset? issuedAt, DateTimeOffset? notBefore, DateTimeOffset? expires, TimeSpan max)
    {
        if (string.IsNullOrWhiteSpace(subject))
        {
            return "The token has no sub claim.";
        }

        if (IsReservedSubject(subject))
        {
            return $"The subject '{Actor.System.Id}' is reserved for the engine.";
        }

        return expires is { } exp ? LifetimeProblem(issuedAt, notBefore, exp, max) : "The token has no exp claim.";
    }

    /// <summary>Whether <paramref name="subject"/> is the engine's reserved id, in any case and with surrounding spaces.</summary>
    public static bool IsReservedSubject(string? subject) =>
        subject is not null && string.Equals(subject.Trim(), Actor.System.Id, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What is wrong with a token's lifetime, or null: it must say when it starts (<c>iat</c> or <c>nbf</c>), and
    /// its expiry may lie at most <paramref name="max"/> after each of them.
    /// </summary>
    public static string? LifetimeProblem(DateTimeOffset? issuedAt, DateTimeOffset? notBefore, DateTimeOffset expires, TimeSpan max)
    {
        if (issuedAt is null && notBefore is null)
        {
            return "The token has neither iat nor nbf, so its lifetime is unbounded.";
        }

        var start = new[] { issuedAt, notBefore }.Where(t => t is not null).Min()!.Value;
        var lifetime = expires - start;
        return lifetime > max
            ? string.Create(CultureInfo.InvariantCulture, $"The token lives {lifetime.TotalHours:0.##} hours, longer than Auth:MaxTokenLifetime ({max.TotalHours:0.##} hours).")
            : null;
    }
}

using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Autonomy.Gateway.Auth;

/// <summary>JWT settings (section "Auth"): tokens are HS256, signed with <see cref="SigningKey"/>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>HS256 needs a 256-bit key: at least 32 bytes of UTF-8.</summary>
    public const int MinKeyBytes = 32;

    /// <summary>How long a token may live unless Auth:MaxTokenLifetime says otherwise.</summary>
    public static readonly TimeSpan DefaultMaxTokenLifetime = TimeSpan.FromDays(30);

    /// <summary>The shared secret, a UTF-8 string of at least 32 characters; see <see cref="SigningKeys"/> for where it comes from when unset.</summary>
    public string SigningKey { get; set; } = "";

    public string Issuer { get; set; } = "";

    public string Audience { get; set; } = "";

    /// <summary>The longest a token may live (exp minus iat, and exp minus nbf): longer ones are refused, and mint-token mints none.</summary>
    public TimeSpan MaxTokenLifetime { get; set; } = DefaultMaxTokenLifetime;

    /// <summary>
    /// How long an accepted token is trusted without validating it again (<see cref="ValidatedTokenCache"/>); never
    /// past its exp. Zero turns the cache off.
    /// </summary>
    public TimeSpan ValidatedTokenCacheAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most accepted tokens the cache holds.</summary>
    public int ValidatedTokenCacheSize { get; set; } = 10_000;

    public SymmetricSecurityKey Key() => new(Encoding.UTF8.GetBytes(SigningKey));

    /// <summary>What is wrong with the settings, each message naming the setting; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrEmpty(SigningKey))
        {
            yield return "Auth:SigningKey is not set. In cluster mode every gateway must verify tokens with one shared key, so none is generated: "
                + "give each gateway the same secret of at least 32 characters, e.g. the environment variable Auth__SigningKey=\"$(openssl rand -base64 48)\", "
                + "and mint tokens with the same key (mint-token reads Auth__SigningKey too).";
        }
        else if (Encoding.UTF8.GetByteCount(SigningKey) < MinKeyBytes)
        {
            yield return $"Auth:SigningKey must be a secret of at least {MinKeyBytes} characters (UTF-8 bytes) for HS256.";
        }

        if (string.IsNullOrWhiteSpace(Issuer))
        {
            yield return "Auth:Issuer must be set (the JWT 'iss' the gateway accepts).";
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            yield return "Auth:Audience must be set (the JWT 'aud' the gateway accepts).";
        }

        if (ValidatedTokenCacheAge < TimeSpan.Zero || ValidatedTokenCacheSize < 0)
        {
            yield return "Auth:ValidatedTokenCacheAge and Auth:ValidatedTokenCacheSize must not be negative (zero turns the cache off).";
        }

        if (MaxTokenLifetime <= TimeSpan.Zero)
        {
            yield return "Auth:MaxTokenLifetime must be positive, e.g. 30.00:00:00 (30 days) or 12:00:00 (12 hours).";
        }
    }
}

/// <summary>The raw claim names of a gateway token (no inbound claim type mapping).</summary>
public static class GatewayClaims
{
    public const string Tenant = "tenant";
    public const string Role = "role";
    public const string Subject = "sub";
}

/// <summary>Fails start-up with a message naming each bad Auth setting.</summary>
public sealed class AuthOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<AuthOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems().ToList();
        return problems.Count == 0
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems);
    }
}

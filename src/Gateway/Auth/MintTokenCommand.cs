using System.Globalization;
using Autonomy.Common;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Autonomy.Gateway.Auth;

/// <summary>
/// Mints a gateway token and exits without starting the server:
/// <code>dotnet run --project src/Gateway -- mint-token --tenant t1 --role admin [--role seller] --sub alice [--hours 12]</code>
/// The token is HS256, signed with the key the server uses (<see cref="SigningKeys"/>: <c>Auth:SigningKey</c> from
/// appsettings.json, environment variables such as <c>Auth__SigningKey</c> or <c>--Auth:SigningKey=</c>; else, in
/// embedded mode, the data directory's <c>signing.key</c>, generated here if the server has not yet), for
/// <c>Auth:Issuer</c> and <c>Auth:Audience</c>. Claims:
/// <c>tenant</c>, <c>role</c> (a string for one role, an array for several), <c>sub</c>. An <c>operator</c>
/// token needs no <c>--tenant</c>. A token longer than <c>Auth:MaxTokenLifetime</c> or for the reserved subject
/// <c>system</c> is refused with a message saying why (<see cref="TokenRules"/>). Prints the token on stdout; exit code 2 and the usage on stderr when the
/// arguments are wrong.
/// </summary>
public static class MintTokenCommand
{
    public const string Name = "mint-token";

    public const string Usage = "usage: mint-token --tenant <tenantId> --role <admin|seller|auditor|ingest|operator> [--role ...] --sub <id> [--hours 12]";

    private static readonly string[] KnownRoles = [Actor.Admin, Actor.Seller, Actor.Auditor, Actor.Ingest, Actor.Operator];

    public static bool Matches(string[] args) => args is [Name, ..];

    /// <summary>Settings given like the server's, e.g. <c>--Auth:SigningKey=...</c>, override the configuration.</summary>
    private static bool IsSetting(string arg) => arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':', StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal);

    /// <summary>Runs the command with the gateway's configuration (appsettings.json next to the binary, environment).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? "Production";
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args.Where(IsSetting).ToArray())
            .Build();
        return Run(args.Where(a => !IsSetting(a)).ToArray(), configuration, output, error);
    }

    public static int Run(string[] args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        options.SigningKey = SigningKeys.Resolve(configuration)?.Key ?? "";
        if (options.Problems().ToList() is { Count: > 0 } problems)
        {
            error.WriteLine(string.Join(Environment.NewLine, problems));
            return 2;
        }

        if (Parse(args.Skip(1).ToArray()) is not { } request)
        {
            error.WriteLine(Usage);
            return 2;
        }

        if (Refusal(options, request.Subject, TimeSpan.FromHours(request.Hours)) is { } refusal)
        {
            error.WriteLine(refusal);
            return 2;
        }

        output.WriteLine(Mint(options, request.Tenant, request.Roles, request.Subject, TimeSpan.FromHours(request.Hours), TimeProvider.System.GetUtcNow()));
        return 0;
    }

    /// <summary>Why a token for <paramref name="subject"/> living <paramref name="lifetime"/> may not be minted, or null.</summary>
    public static string? Refusal(AuthOptions options, string subject, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (TokenRules.IsReservedSubject(subject))
        {
            return $"--sub {subject} is reserved: the ledger shows the engine's own steps as '{Actor.System.Id}', and no token may act under that name. Choose another subject.";
        }

        return lifetime > options.MaxTokenLifetime
            ? string.Create(CultureInfo.InvariantCulture, $"--hours {lifetime.TotalHours:0.##} is longer than Auth:MaxTokenLifetime ({options.MaxTokenLifetime.TotalHours:0.##} hours); mint a shorter token, or raise the setting on every gateway (the gateway refuses longer tokens).")
            : null;
    }

    /// <summary>A signed token. One role is written as a string, several as an array.</summary>
    /// <exception cref="ArgumentException">The subject is reserved or the lifetime too long (<see cref="Refusal"/>).</exception>
    public static string Mint(AuthOptions options, string? tenant, IReadOnlyList<string> roles, string subject, TimeSpan lifetime, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(roles);
        if (Refusal(options, subject, lifetime) is { } refusal)
        {
            throw new ArgumentException(refusal, nameof(subject));
        }

        var claims = new Dictionary<string, object>
        {
            [GatewayClaims.Subject] = subject,
            [GatewayClaims.Role] = roles.Count == 1 ? roles[0] : roles.ToArray(),
        };
        if (tenant is not null)
        {
            claims[GatewayClaims.Tenant] = tenant;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(options.Key(), SecurityAlgorithms.HmacSha256),
        });
    }

    private static MintRequest? Parse(string[] args)
    {
        string? tenant = null, subject = null;
        var roles = new List<string>();
        var hours = 12.0;
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                return null;
            }

            var value = args[i + 1];
            switch (args[i])
            {
                case "--tenant" when Ids.IsValidKey(value):
                    tenant = value;
                    break;
                case "--sub" when value.Length > 0:
                    subject = value;
                    break;
                case "--role" when KnownRoles.Contains(value):
                    roles.Add(value);
                    break;
                case "--hours" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var h) && h > 0 && h <= TimeSpan.MaxValue.TotalHours / 2:
                    hours = h;
                    break;
                default:
                    return null;
            }
        }

        var tenantNeeded = roles.Any(r => r != Actor.Operator);
        return roles.Count == 0 || subject is null || (tenantNeeded && tenant is null)
            ? null
            : new MintRequest(tenant, roles.Distinct(StringComparer.Ordinal).ToList(), subject, hours);
    }

    private sealed record MintRequest(string? Tenant, IReadOnlyList<string> Roles, string Subject, double Hours);
}

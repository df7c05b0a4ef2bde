using System.Globalization;
using System.Text.RegularExpressions;
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
/// With <c>--open</c> it prints a sign-in link for the control center of the local gateway
/// instead (<c>http://127.0.0.1:5000/#token=...</c>, the address from <c>--url</c>, else the first of
/// <c>ASPNETCORE_URLS</c>): the token travels in the URL's fragment, which the browser never sends to a server; the
/// page stores it for the session and removes it from the address bar.
/// </summary>
public static partial class MintTokenCommand
{
    public const string Name = "mint-token";

    public const string Usage = "usage: mint-token --tenant <tenantId> --role <admin|seller|auditor|ingest|operator> [--role ...] --sub <id> [--hours 12] [--open [--url http://127.0.0.1:5000]]";

    /// <summary>The local gateway's address when neither <c>--url</c> nor <c>ASPNETCORE_URLS</c> names one (Kestrel's default port).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5000";

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

        var rest = args.Skip(1).ToList();
        var open = rest.Remove("--open");
        if (Parse([.. rest]) is not { } request || (request.Url is not null && !open) || SignInBase(request.Url, configuration) is not { } site)
        {
            error.WriteLine(Usage);
            return 2;
        }

        if (Refusal(options, request.Subject, TimeSpan.FromHours(request.Hours)) is { } refusal)
        {
            error.WriteLine(refusal);
            return 2;
        }

        var token = Mint(options, request.Tenant, request.Roles, request.Subject, TimeSpan.FromHours(request.Hours), TimeProvider.System.GetUtcNow());
        output.WriteLine(open ? SignInLink(site, token) : token);
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

    /// <summary>The control center's sign-in link: the token in the fragment (never a query string, never sent to a server).</summary>
    public static string SignInLink(Uri site, string token)
    {
        ArgumentNullException.ThrowIfNull(site);
        return new UriBuilder(site) { Path = "/", Query = "", Fragment = "token=" + Uri.EscapeDataString(token) }.Uri.AbsoluteUri;
    }

    /// <summary>
    /// The gateway's address for a browser on this machine: <paramref name="url"/>, else the first of <c>ASPNETCORE_URLS</c>
    /// (or <c>urls</c>), else <see cref="DefaultUrl"/>; a wildcard host (<c>*</c>, <c>+</c>, <c>0.0.0.0</c>) becomes 127.0.0.1.
    /// Null when it is not an http(s) address.
    /// </summary>
    internal static Uri? SignInBase(string? url, IConfiguration configuration)
    {
        var configured = url ?? configuration["ASPNETCORE_URLS"] ?? configuration["urls"] ?? DefaultUrl;
        var first = configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? DefaultUrl;
        var local = WildcardHost().Replace(first, "${1}127.0.0.1");
        return Uri.TryCreate(local, UriKind.Absolute, out var site) && (site.Scheme == Uri.UriSchemeHttp || site.Scheme == Uri.UriSchemeHttps) ? site : null;
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
        string? tenant = null, subject = null, url = null;
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
                case "--url" when value.Length > 0:
                    url = value;
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
            : new MintRequest(tenant, roles.Distinct(StringComparer.Ordinal).ToList(), subject, hours, url);
    }

    [GeneratedRegex(@"^(https?://)(\*|\+|0\.0\.0\.0|\[::\])(?=[:/]|$)")]
    private static partial Regex WildcardHost();

    private sealed record MintRequest(string? Tenant, IReadOnlyList<string> Roles, string Subject, double Hours, string? Url);
}

using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Autonomy.Actions;
using Autonomy.Connectors;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Perception;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Apis;

/// <summary>The tenant's connectors (perception pulls): kind, endpoint, mapping, cadence bounds, throttle; the secret is write-only.</summary>
public static partial class ConnectorsApi
{
    public const int MaxSecretLength = 4096;

    public static RouteGroupBuilder MapConnectorsApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Tenant administration: connectors").RequireAuthorization(Access.Admin);
        admin.MapGet("/connectors/{name}", GetConnector).WithName("GetConnector").WithSummary("Returns a connector; its secret is never shown, only whether one is set.");
        admin.MapPut("/connectors/{name}", PutConnector).WithName("PutConnector").WithSummary("Creates or replaces a connector; a secret left out keeps the stored one while the endpoint's host and the auth header stay the same.");
        return admin;
    }

    public static async Task<Results<Ok<ConnectorResponse>, ValidationProblem>> GetConnector(string tenantId, string name, IGrainFactory grains)
    {
        var v = new Validation();
        Name(v, name);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var view = await grains.GetGrain<ITenantConnectorsGrain>(tenantId).GetConnectorAsync(name);
        return TypedResults.Ok(ConnectorResponse.From(view));
    }

    public static async Task<Results<Ok<ConnectorResponse>, ValidationProblem>> PutConnector(
        string tenantId, string name, ConnectorBody body, ClaimsPrincipal user, IGrainFactory grains, IOptions<WebhookOptions> webhooks)
    {
        var v = new Validation();
        Name(v, name);
        var config = body.ToConfig(name, v, webhooks.Value.AllowPrivateNetworks);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var keepSecret = body.Secret is null && body.ClearSecret != true;
        var view = await grains.GetGrain<ITenantConnectorsGrain>(tenantId).PutConnectorAsync(config, keepSecret, user.ToActor());
        return TypedResults.Ok(ConnectorResponse.From(view));
    }

    private static void Name(Validation v, string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            v.Add("name", "name must be 1 to 40 lowercase letters, digits, '-' or '_', starting with a letter or digit (e.g. crm).");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,39}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    internal static partial Regex HeaderPattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    internal static partial Regex FieldPattern();
}

/// <summary>
/// <c>{"kind":"HTTP_JSON","endpoint":"https://crm.example.com/accounts/{accountId}/activity?since={since}","authHeader":"Authorization",
/// "secret":"Bearer ...","timeoutSeconds":10,"mapping":{...},"cadence":{"hot":{"minSeconds":300,"maxSeconds":900}},"throttle":{"burst":20,"perMinute":600}}</c>
/// </summary>
public sealed record ConnectorBody(
    ConnectorKind? Kind,
    bool? Enabled,
    string? Endpoint,
    string? AuthHeader,
    string? Secret,
    bool? ClearSecret,
    int? TimeoutSeconds,
    MappingBody? Mapping,
    CadenceBody? Cadence,
    ThrottleBody? Throttle,
    long? Seed)
{
    public const int DefaultTimeoutSeconds = 10;

    internal ConnectorConfig ToConfig(string name, Validation v, bool allowPrivateNetworks)
    {
        var kind = v.Required(Kind, "kind");
        if (kind == ConnectorKind.HttpJson)
        {
            if (v.Required(Endpoint, "endpoint") is { } endpoint)
            {
                v.MaxLength(endpoint, "endpoint", 2000);
                v.WebhookUrl(endpoint.Replace("{accountId}", "a", StringComparison.Ordinal).Replace("{since}", "", StringComparison.Ordinal), "endpoint", allowPrivateNetworks, carriesSecret: Secret is not null);
            }

            v.Required(Mapping, "mapping");
        }
        else if (Endpoint is not null)
        {
            v.Add("endpoint", "endpoint is only for HTTP_JSON connectors; a SYNTHETIC connector generates its data.");
        }

        if (AuthHeader is not null && (!ConnectorsApi.HeaderPattern().IsMatch(AuthHeader) || AuthHeader.Equals("Host", StringComparison.OrdinalIgnoreCase)))
        {
            v.Add("authHeader", "authHeader must be a header name of letters, digits and '-' (e.g. Authorization or X-Api-Key), not Host.");
        }

        if (Secret is not null)
        {
            if (AuthHeader is null)
            {
                v.Add("authHeader", "authHeader is required with a secret: it names the header the secret is sent in.");
            }

            if (Secret.Length is 0 or > ConnectorsApi.MaxSecretLength || Secret.Any(char.IsControl))
            {
                v.Add("secret", $"secret must be 1 to {ConnectorsApi.MaxSecretLength} characters without control characters.");
            }

            if (ClearSecret == true)
            {
                v.Add("clearSecret", "clearSecret and secret exclude each other.");
            }
        }

        v.Range(TimeoutSeconds, "timeoutSeconds", 1, 30);
        var mapping = Mapping is null ? ConnectorMapping.Default : Mapping.ToMapping(v);
        var cadence = Cadence is null ? PullCadence.Default : Cadence.ToCadence(v);
        var throttle = Throttle is null ? Perception.Throttle.Default : Throttle.ToThrottle(v);
        v.Range(Seed, "seed", 0, long.MaxValue);
        return new ConnectorConfig(
            name, kind, Enabled ?? true, Endpoint, AuthHeader, Secret, TimeSpan.FromSeconds(TimeoutSeconds ?? DefaultTimeoutSeconds),
            mapping, cadence, throttle, Seed ?? 1, 0);
    }
}

/// <summary>Where signals and posture are in the answer: paths like <c>data.events</c> or <c>items[0].id</c>.</summary>
public sealed record MappingBody(
    string? Items,
    string? Id,
    string? Type,
    string? Value,
    string? OccurredAt,
    string? Attributes,
    IReadOnlyDictionary<string, string>? Types,
    IReadOnlyDictionary<string, string>? Posture)
{
    internal ConnectorMapping ToMapping(Validation v)
    {
        Path(v, Items, "mapping.items", required: false);
        Path(v, Id, "mapping.id", required: Items is not null);
        Path(v, Type, "mapping.type", required: Items is not null);
        Path(v, Value, "mapping.value", required: false);
        Path(v, OccurredAt, "mapping.occurredAt", required: false);
        Path(v, Attributes, "mapping.attributes", required: false);
        if (Types is { Count: > 200 })
        {
            v.Add("mapping.types", "mapping.types may rename at most 200 upstream types.");
        }

        foreach (var (from, to) in Types ?? ImmutableDictionary<string, string>.Empty)
        {
            if (from.Length is 0 or > 100)
            {
                v.Add("mapping.types", "each upstream type in mapping.types must be 1 to 100 characters.");
            }

            v.Name(to, $"mapping.types.{from}");
        }

        if (Posture is { Count: > 16 })
        {
            v.Add("mapping.posture", "mapping.posture may map at most 16 fields.");
        }

        foreach (var (field, path) in Posture ?? ImmutableDictionary<string, string>.Empty)
        {
            if (!ConnectorsApi.FieldPattern().IsMatch(field))
            {
                v.Add("mapping.posture", $"posture field {field} must be a letter followed by letters, digits or '_' (e.g. intent).");
            }

            Path(v, path, $"mapping.posture.{field}", required: true);
        }

        return new ConnectorMapping(
            Items, Id ?? "id", Type ?? "type", Value, OccurredAt, Attributes,
            (Types ?? ImmutableDictionary<string, string>.Empty).ToImmutableDictionary(StringComparer.Ordinal),
            (Posture ?? ImmutableDictionary<string, string>.Empty).ToImmutableDictionary(StringComparer.Ordinal));
    }

    private static void Path(Validation v, string? path, string field, bool required)
    {
        if (path is null)
        {
            if (required)
            {
                v.Add(field, $"{field} is required.");
            }

            return;
        }

        if (!PulledData.IsValidPath(path))
        {
            v.Add(field, $"{field} must be a dotted path like data.events or items[0].id (at most 200 characters).");
        }
    }
}

public sealed record BoundsBody(int? MinSeconds, int? MaxSeconds)
{
    internal PullBounds ToBounds(Validation v, string field, PullBounds fallback)
    {
        v.Range(MinSeconds, $"{field}.minSeconds", 60, 7 * 86_400);
        v.Range(MaxSeconds, $"{field}.maxSeconds", 60, 7 * 86_400);
        var min = MinSeconds is { } a ? TimeSpan.FromSeconds(a) : fallback.Min;
        var max = MaxSeconds is { } b ? TimeSpan.FromSeconds(b) : fallback.Max;
        if (max < min)
        {
            v.Add($"{field}.maxSeconds", $"{field}.maxSeconds must be at least {field}.minSeconds ({min.TotalSeconds:0}).");
        }

        return new PullBounds(min, max);
    }
}

/// <summary>Cadence bounds per heat tier; a tier left out keeps its default (hot 300-900 s, warm 1800-7200 s, cold 7200-43200 s).</summary>
public sealed record CadenceBody(BoundsBody? Hot, BoundsBody? Warm, BoundsBody? Cold)
{
    internal PullCadence ToCadence(Validation v)
    {
        var d = PullCadence.Default;
        return new PullCadence(
            Hot?.ToBounds(v, "cadence.hot", d.Hot) ?? d.Hot,
            Warm?.ToBounds(v, "cadence.warm", d.Warm) ?? d.Warm,
            Cold?.ToBounds(v, "cadence.cold", d.Cold) ?? d.Cold);
    }
}

public sealed record ThrottleBody(int? Burst, int? PerMinute)
{
    internal Throttle ToThrottle(Validation v)
    {
        var burst = v.Required(Burst, "throttle.burst");
        var perMinute = v.Required(PerMinute, "throttle.perMinute");
        v.Range(Burst, "throttle.burst", 1, 10_000);
        v.Range(PerMinute, "throttle.perMinute", 1, 1_000_000);
        return Throttle.PerMinute(Math.Max(1, burst), Math.Max(1, perMinute));
    }
}

public sealed record BoundsResponse(double MinSeconds, double MaxSeconds)
{
    internal static BoundsResponse From(PullBounds b) => new(b.Min.TotalSeconds, b.Max.TotalSeconds);
}

public sealed record CadenceResponse(BoundsResponse Hot, BoundsResponse Warm, BoundsResponse Cold);

public sealed record ThrottleResponse(int Burst, double PerMinute);

public sealed record MappingResponse(
    string? Items, string Id, string Type, string? Value, string? OccurredAt, string? Attributes,
    IReadOnlyDictionary<string, string> Types, IReadOnlyDictionary<string, string> Posture);

/// <summary>A connector as shown: never its secret, only <c>secretSet</c>.</summary>
public sealed record ConnectorResponse(
    string Name,
    ConnectorKind Kind,
    bool Enabled,
    string? Endpoint,
    string? AuthHeader,
    bool SecretSet,
    double TimeoutSeconds,
    MappingResponse Mapping,
    CadenceResponse Cadence,
    ThrottleResponse Throttle,
    long Seed,
    long Version)
{
    public static ConnectorResponse From(ConnectorView c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var m = c.Mapping;
        return new(
            c.Name, c.Kind, c.Enabled, c.Endpoint, c.AuthHeader, c.SecretSet, c.Timeout.TotalSeconds,
            new MappingResponse(m.Items, m.Id, m.Type, m.Value, m.OccurredAt, m.Attributes, m.Types, m.Posture),
            new CadenceResponse(BoundsResponse.From(c.Cadence.Hot), BoundsResponse.From(c.Cadence.Warm), BoundsResponse.From(c.Cadence.Cold)),
            new ThrottleResponse(c.Throttle.Burst, c.Throttle.Tokens * (TimeSpan.FromMinutes(1) / c.Throttle.Per)),
            c.Seed, c.Version);
    }
}

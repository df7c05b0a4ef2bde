using System.Collections.Immutable;
using Autonomy.Perception;

namespace Autonomy.Connectors;

public enum ConnectorKind
{
    /// <summary>GETs a JSON document per account from a URL and maps it to signals and posture.</summary>
    HttpJson,

    /// <summary>Generates realistic activity deterministically from a seed (demos, load); no network.</summary>
    Synthetic,
}

/// <summary>
/// How a connector's JSON answer becomes signals and posture. Paths are dotted (<c>data.events</c>, <c>items[0].id</c>,
/// an optional leading <c>$.</c>); item paths are relative to one element of <see cref="Items"/>. See docs/perception-and-connectors.md,
/// "Mapping", for the format with an example.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.ConnectorMapping")]
public sealed record ConnectorMapping(
    [property: Id(0)] string? Items,
    [property: Id(1)] string Id,
    [property: Id(2)] string Type,
    [property: Id(3)] string? Value,
    [property: Id(4)] string? OccurredAt,
    [property: Id(5)] string? Attributes,
    [property: Id(6)] ImmutableDictionary<string, string> Types,
    [property: Id(7)] ImmutableDictionary<string, string> Posture)
{
    /// <summary>The synthetic connector's own shape: <c>{"events":[{"id","type","value","at","details"}],"account":{"intent","engagement","risk"}}</c>.</summary>
    public static readonly ConnectorMapping Default = new(
        "events", "id", "type", "value", "at", "details", ImmutableDictionary<string, string>.Empty,
        new Dictionary<string, string> { ["intent"] = "account.intent", ["engagement"] = "account.engagement", ["risk"] = "account.risk" }.ToImmutableDictionary());
}

/// <summary>
/// One connector of a tenant, as stored. <see cref="Secret"/> (the value of <see cref="AuthHeader"/>) is write-only:
/// it leaves the tenant grain only towards the account that pulls, never in a view, a response or the ledger.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.ConnectorConfig")]
public sealed record ConnectorConfig(
    [property: Id(0)] string Name,
    [property: Id(1)] ConnectorKind Kind,
    [property: Id(2)] bool Enabled,
    [property: Id(3)] string? Endpoint,
    [property: Id(4)] string? AuthHeader,
    [property: Id(5)] string? Secret,
    [property: Id(6)] TimeSpan Timeout,
    [property: Id(7)] ConnectorMapping Mapping,
    [property: Id(8)] PullCadence Cadence,
    [property: Id(9)] Throttle Throttle,
    [property: Id(10)] long Seed,
    [property: Id(11)] long Version)
{
    /// <summary>The most connectors a tenant may configure (each one is a pull per account at its cadence).</summary>
    public const int MaxPerTenant = 16;

    /// <summary>The configuration as shown and ledgered: everything but the secret, and whether one is set.</summary>
    public ConnectorView View() => new(Name, Kind, Enabled, Endpoint, AuthHeader, Secret is not null, Timeout, Mapping, Cadence, Throttle, Seed, Version);

    public override string ToString() => $"ConnectorConfig {{ Name = {Name}, Kind = {Kind}, Endpoint = {Endpoint}, Secret = {(Secret is null ? "none" : "***")} }}";
}

/// <summary>A connector as the API and the ledger show it: the secret is never in it, only whether one is set.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.ConnectorView")]
public sealed record ConnectorView(
    [property: Id(0)] string Name,
    [property: Id(1)] ConnectorKind Kind,
    [property: Id(2)] bool Enabled,
    [property: Id(3)] string? Endpoint,
    [property: Id(4)] string? AuthHeader,
    [property: Id(5)] bool SecretSet,
    [property: Id(6)] TimeSpan Timeout,
    [property: Id(7)] ConnectorMapping Mapping,
    [property: Id(8)] PullCadence Cadence,
    [property: Id(9)] Throttle Throttle,
    [property: Id(10)] long Seed,
    [property: Id(11)] long Version);

/// <summary>What an account needs to pull: the tenant's enabled connectors and its pull budget, at a configuration version.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.pulls.PullConfig")]
public sealed record PullConfig(
    [property: Id(0)] long ConfigVersion,
    [property: Id(1)] ImmutableArray<ConnectorConfig> Connectors,
    [property: Id(2)] long PullsPerDay);

using System.Collections.Immutable;

namespace Autonomy.Actions;

/// <summary>One webhook signing secret of a tenant: write-only, known by its id.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.WebhookSigningSecret")]
public sealed record WebhookSigningSecret(
    [property: Id(0)] string Id,
    [property: Id(1)] string Secret,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] DateTimeOffset? RetiresAt)
{
    /// <summary>Never prints the secret (records print every member by default, and state ends up in logs).</summary>
    public override string ToString() => $"WebhookSigningSecret {{ Id = {Id}, CreatedAt = {CreatedAt:O}, RetiresAt = {RetiresAt:O} }}";
}

/// <summary>A signing secret as the API shows it and the ledger records it: its id and times, never the secret.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.WebhookSigningSecretView")]
public sealed record WebhookSigningSecretView(
    [property: Id(0)] string Id,
    [property: Id(1)] bool Current,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] DateTimeOffset? RetiresAt);

/// <summary>Whether the tenant signs its webhooks yet, and with which secrets (current first).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.WebhookSigningView")]
public sealed record WebhookSigningView(
    [property: Id(0)] bool SigningSecretSet,
    [property: Id(1)] ImmutableArray<WebhookSigningSecretView> Secrets);

/// <summary>
/// A tenant's webhook signing secrets: the current one and, during a rotation, the previous one, which keeps signing
/// beside it until it retires (the rotation window) or is removed. At most two, by construction.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.WebhookSigningKeys")]
public sealed record WebhookSigningKeys(
    [property: Id(0)] WebhookSigningSecret? Current,
    [property: Id(1)] WebhookSigningSecret? Previous)
{
    public static readonly WebhookSigningKeys None = new(null, null);

    /// <summary><paramref name="next"/> becomes current; the current one signs beside it for <paramref name="window"/> more.</summary>
    public WebhookSigningKeys Rotate(WebhookSigningSecret next, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(next);
        return new(next, Current is { } current && window > TimeSpan.Zero ? current with { RetiresAt = next.CreatedAt + window } : null);
    }

    /// <summary>Ends the rotation at once: only the current secret signs.</summary>
    public WebhookSigningKeys WithoutPrevious() => this with { Previous = null };

    /// <summary>The secrets that sign a delivery at <paramref name="now"/>, current first.</summary>
    public ImmutableArray<string> Signing(DateTimeOffset now) =>
        [.. Active(now).Select(s => s.Secret)];

    public WebhookSigningView View(DateTimeOffset now) =>
        new(Current is not null, [.. Active(now).Select(s => new WebhookSigningSecretView(s.Id, s == Current, s.CreatedAt, s.RetiresAt))]);

    private IEnumerable<WebhookSigningSecret> Active(DateTimeOffset now)
    {
        if (Current is { } current)
        {
            yield return current;
        }

        if (Previous is { } previous && (previous.RetiresAt is not { } retires || retires > now))
        {
            yield return previous;
        }
    }

    public override string ToString() => $"WebhookSigningKeys {{ Current = {Current}, Previous = {Previous} }}";
}

/// <summary>What a rotation answers: the new secret when the system generated it (shown this once), the secrets now signing, the config version.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.WebhookSigningRotation")]
public sealed record WebhookSigningRotation(
    [property: Id(0)] string? Secret,
    [property: Id(1)] WebhookSigningView View,
    [property: Id(2)] long Version)
{
    public override string ToString() => $"WebhookSigningRotation {{ View = {View}, Version = {Version} }}";
}

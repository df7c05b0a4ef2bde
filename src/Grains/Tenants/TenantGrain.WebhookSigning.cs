using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Autonomy.Tenants;

/// <summary>A tenant's webhook signing secrets (Standard Webhooks): write-only, rotatable with two signing during a rotation. Key: the tenant id.</summary>
[Alias("autonomy.ITenantWebhookSigningGrain")]
public interface ITenantWebhookSigningGrain : IGrainWithStringKey
{
    /// <summary>
    /// Makes <paramref name="chosen"/> (or, null, a generated secret) the current signing secret; the current one keeps
    /// signing beside it for the rotation window. A generated secret is in the answer, this once; a chosen one never is.
    /// Ledgered as CONFIG_CHANGED with the secrets' ids only.
    /// </summary>
    [Alias("webhooks.RotateSigningSecret")]
    Task<WebhookSigningRotation> RotateWebhookSigningSecretAsync(string? chosen, Actor actor);

    /// <summary>Ends a rotation: the previous secret stops signing at once. Returns the new config version.</summary>
    [Alias("webhooks.RemovePreviousSigningSecret")]
    Task<WebhookSigningRotation> RemovePreviousWebhookSigningSecretAsync(Actor actor);

    /// <summary>Which secrets sign (ids and times only).</summary>
    [Idempotent]
    [ResponseTimeout(IdempotentAttribute.AttemptTimeout)]
    [Alias("webhooks.GetSigning"), Orleans.Concurrency.ReadOnly]
    Task<WebhookSigningView> GetWebhookSigningAsync();

    /// <summary>
    /// The secrets that sign a delivery now, current first, for the silo's webhook senders only. A tenant without one
    /// gets one generated (and ledgered) at this first need: every webhook is signed.
    /// </summary>
    [Alias("webhooks.GetSigningSecrets")]
    Task<ImmutableArray<string>> GetWebhookSigningSecretsAsync();
}

public sealed partial class TenantGrain : ITenantWebhookSigningGrain
{
    /// <summary>Bytes of a generated secret (Standard Webhooks allows 24 to 64).</summary>
    private const int GeneratedSecretBytes = 32;

    public async Task<WebhookSigningRotation> RotateWebhookSigningSecretAsync(string? chosen, Actor actor)
    {
        if (chosen is not null && WebhookSignature.Key(chosen) is null)
        {
            throw new ValidationFailedException("secret", $"secret must be {WebhookSignature.SecretPrefix} followed by base64 of {WebhookSignature.MinSecretBytes} to {WebhookSignature.MaxSecretBytes} bytes.");
        }

        var secret = chosen ?? WebhookSignature.Secret(RandomNumberGenerator.GetBytes(GeneratedSecretBytes));
        var version = await RotateAsync(secret, actor);
        return new WebhookSigningRotation(chosen is null ? secret : null, SigningKeys.View(time.GetUtcNow()), version);
    }

    public async Task<WebhookSigningRotation> RemovePreviousWebhookSigningSecretAsync(Actor actor)
    {
        var now = time.GetUtcNow();
        var before = SigningKeys;
        var after = before.WithoutPrevious();
        var version = await ChangeAsync("webhook-signing-secret", actor, before.View(now), after.View(now), s => s with { WebhookSigning = after });
        return new WebhookSigningRotation(null, after.View(now), version);
    }

    public Task<WebhookSigningView> GetWebhookSigningAsync() => Task.FromResult(SigningKeys.View(time.GetUtcNow()));

    public async Task<ImmutableArray<string>> GetWebhookSigningSecretsAsync()
    {
        if (SigningKeys.Current is null)
        {
            await RotateAsync(WebhookSignature.Secret(RandomNumberGenerator.GetBytes(GeneratedSecretBytes)), Actor.System);
        }

        return SigningKeys.Signing(time.GetUtcNow());
    }

    private WebhookSigningKeys SigningKeys => state.State.WebhookSigning ?? WebhookSigningKeys.None;

    private Task<long> RotateAsync(string secret, Actor actor)
    {
        var now = time.GetUtcNow();
        var window = ServiceProvider.GetService<IOptions<WebhookOptions>>()?.Value.SigningRotationWindow ?? WebhookOptions.DefaultSigningRotationWindow;
        var before = SigningKeys;
        var after = before.Rotate(new WebhookSigningSecret("whs_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), secret, now, null), window);

        // The ledger sees the ids and times, never a secret.
        return ChangeAsync("webhook-signing-secret", actor, before.View(now), after.View(now), s => s with { WebhookSigning = after });
    }
}

using System.Security.Claims;
using Autonomy.Actions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// The secrets that sign the tenant's outgoing webhooks (executor, digest, anchor; Standard Webhooks 1.0). Write-only:
/// a generated secret is returned once, by the rotation that made it; every other answer says only
/// <c>signingSecretSet</c> and the secrets' ids. During a rotation the previous secret signs beside the new one until
/// it retires (<c>Autonomy:Webhooks:SigningRotationWindow</c>) or is removed.
/// </summary>
public static class WebhookSigningApi
{
    public const int MaxSecretLength = 200;

    public static RouteGroupBuilder MapWebhookSigningApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Tenant administration: webhook signing").RequireAuthorization(Access.Admin);
        admin.MapGet("/webhooks/signing-secret", GetSigning).WithName("GetWebhookSigning")
            .WithSummary("Whether webhooks are signed yet, and the ids of the secrets that sign them (never a secret).");
        admin.MapPost("/webhooks/signing-secret", RotateSigningSecret).WithName("RotateWebhookSigningSecret")
            .WithSummary("Generates a new signing secret and returns it, this once; the previous one keeps signing beside it for the rotation window.");
        admin.MapPut("/webhooks/signing-secret", SetSigningSecret).WithName("SetWebhookSigningSecret")
            .WithSummary("Makes a secret the tenant chose (whsec_ + base64) the signing secret; the previous one keeps signing beside it for the rotation window.");
        admin.MapDelete("/webhooks/signing-secret/previous", RemovePreviousSigningSecret).WithName("RemovePreviousWebhookSigningSecret")
            .WithSummary("Ends a rotation: the previous signing secret stops signing at once.");
        return admin;
    }

    public static async Task<Ok<WebhookSigningResponse>> GetSigning(string tenantId, IGrainFactory grains) =>
        TypedResults.Ok(WebhookSigningResponse.From(await grains.GetGrain<ITenantWebhookSigningGrain>(tenantId).GetWebhookSigningAsync(), null));

    public static async Task<Ok<WebhookSecretRotatedResponse>> RotateSigningSecret(string tenantId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var rotation = await grains.GetGrain<ITenantWebhookSigningGrain>(tenantId).RotateWebhookSigningSecretAsync(null, user.ToActor());
        var view = WebhookSigningResponse.From(rotation.View, rotation.Version);
        return TypedResults.Ok(new WebhookSecretRotatedResponse(rotation.Secret!, view.SigningSecretSet, view.Secrets, rotation.Version));
    }

    public static async Task<Results<Ok<WebhookSigningResponse>, ValidationProblem>> SetSigningSecret(
        string tenantId, WebhookSecretBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var secret = v.Required(body.Secret, "secret");
        v.MaxLength(secret, "secret", MaxSecretLength);
        if (secret is not null && secret.Length <= MaxSecretLength && WebhookSignature.Key(secret) is null)
        {
            v.Add("secret", $"secret must be {WebhookSignature.SecretPrefix} followed by base64 of {WebhookSignature.MinSecretBytes} to {WebhookSignature.MaxSecretBytes} random bytes.");
        }

        if (!v.IsValid)
        {
            return v.Problem();
        }

        var rotation = await grains.GetGrain<ITenantWebhookSigningGrain>(tenantId).RotateWebhookSigningSecretAsync(secret, user.ToActor());
        return TypedResults.Ok(WebhookSigningResponse.From(rotation.View, rotation.Version));
    }

    public static async Task<Ok<WebhookSigningResponse>> RemovePreviousSigningSecret(string tenantId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var rotation = await grains.GetGrain<ITenantWebhookSigningGrain>(tenantId).RemovePreviousWebhookSigningSecretAsync(user.ToActor());
        return TypedResults.Ok(WebhookSigningResponse.From(rotation.View, rotation.Version));
    }
}

/// <summary><c>{"secret":"whsec_..."}</c>: a signing secret the tenant chose.</summary>
public sealed record WebhookSecretBody(string? Secret)
{
    /// <summary>Never prints the secret.</summary>
    public override string ToString() => "WebhookSecretBody { Secret = *** }";
}

/// <summary>One secret that signs, by id: never the secret itself.</summary>
public sealed record WebhookSigningSecretResponse(string Id, bool Current, DateTimeOffset CreatedAt, DateTimeOffset? RetiresAt);

/// <summary>Whether webhooks are signed yet and by which secrets; after a change, the tenant's new configuration version.</summary>
public sealed record WebhookSigningResponse(bool SigningSecretSet, IReadOnlyList<WebhookSigningSecretResponse> Secrets, long? Version)
{
    internal static WebhookSigningResponse From(WebhookSigningView view, long? version) =>
        new(view.SigningSecretSet, view.Secrets.IsDefault ? [] : [.. view.Secrets.Select(s => new WebhookSigningSecretResponse(s.Id, s.Current, s.CreatedAt, s.RetiresAt))], version);
}

/// <summary>The answer of <c>POST .../webhooks/signing-secret</c>: the generated secret, shown this once, and the secrets now signing.</summary>
public sealed record WebhookSecretRotatedResponse(string Secret, bool SigningSecretSet, IReadOnlyList<WebhookSigningSecretResponse> Secrets, long Version)
{
    public override string ToString() => $"WebhookSecretRotatedResponse {{ SigningSecretSet = {SigningSecretSet}, Version = {Version} }}";
}

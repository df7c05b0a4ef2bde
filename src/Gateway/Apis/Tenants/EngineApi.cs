using System.Security.Claims;
using Autonomy.Decisions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// Which decision engine answers the tenant's runs: the playbook, or an LLM behind an OpenAI-compatible endpoint
/// (base URL, model, write-only API key, completion cap, prices per 1,000 tokens), and what answers when the chat
/// engine cannot (token budget used up, a failed or rejected call): <c>defer</c> or <c>playbook</c>.
/// </summary>
public static class EngineApi
{
    public const int MaxModelLength = 200;
    public const int MaxApiKeyLength = 4096;

    public static RouteGroupBuilder MapEngineApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Tenant administration: decision engine").RequireAuthorization(Access.Admin);
        admin.MapGet("/engine", GetEngine).WithName("GetEngine").WithSummary("The decision engine configuration (the API key is never shown) and today's token use.");
        admin.MapPut("/engine", SetEngine).WithName("SetEngine").WithSummary("Sets the decision engine (playbook or chat) and its fallback.");
        return admin;
    }

    public static async Task<Ok<EngineResponse>> GetEngine(string tenantId, IGrainFactory grains) =>
        TypedResults.Ok(EngineResponse.From(await grains.GetGrain<ITenantGrain>(tenantId).GetEngineAsync()));

    public static async Task<Results<Ok<EngineResponse>, ValidationProblem>> SetEngine(
        string tenantId, EngineBody body, ClaimsPrincipal user, IGrainFactory grains, IOptions<ChatEngineOptions> chatOptions)
    {
        var v = new Validation();
        var settings = body.ToSettings(v, chatOptions.Value.AllowPrivateNetworks);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var tenant = grains.GetGrain<ITenantGrain>(tenantId);
        await tenant.SetEngineAsync(settings, user.ToActor());
        return TypedResults.Ok(EngineResponse.From(await tenant.GetEngineAsync()));
    }
}

/// <summary>
/// <c>{"kind":"chat","fallback":"playbook","chat":{"baseUrl":"https://api.openai.com/v1","model":"gpt-4o-mini","apiKey":"sk-...",
/// "maxOutputTokens":1024,"promptPricePer1k":0.00015,"completionPricePer1k":0.0006}}</c>
/// </summary>
/// <remarks>
/// <c>maxChatConfidence</c> (0 to 1, default 0.8) caps the confidence of every chat proposal before the policy reads it,
/// so a model's answer clears a minimum confidence above it only when the admin raises the cap.
/// </remarks>
public sealed record EngineBody(string? Kind, string? Fallback, ChatBody? Chat, double? MaxChatConfidence = null)
{
    internal EngineSettings ToSettings(Validation v, bool allowPrivateNetworks)
    {
        var kind = v.Required(Kind, "kind") switch
        {
            null => EngineKind.Playbook,
            "playbook" => EngineKind.Playbook,
            "chat" => EngineKind.Chat,
            var other => Invalid(v, "kind", "kind must be \"playbook\" or \"chat\".", EngineKind.Playbook, other),
        };
        var fallback = Fallback switch
        {
            null or "defer" => EngineFallback.Defer,
            "playbook" => EngineFallback.Playbook,
            var other => Invalid(v, "fallback", "fallback must be \"defer\" or \"playbook\".", EngineFallback.Defer, other),
        };
        if (kind == EngineKind.Chat && Chat is null)
        {
            v.Add("chat", "chat is required when kind is \"chat\": {\"baseUrl\":...,\"model\":...}.");
        }

        v.Range(MaxChatConfidence, "maxChatConfidence", 0, 1);
        return new EngineSettings(kind, fallback, Chat?.ToSettings(v, allowPrivateNetworks), MaxChatConfidence);
    }

    private static T Invalid<T>(Validation v, string field, string message, T value, string _)
    {
        v.Add(field, message);
        return value;
    }
}

/// <summary>An OpenAI-compatible endpoint. <c>apiKey</c> is write-only: omitted, the stored key is kept when <c>baseUrl</c> is unchanged; <c>""</c> removes it.</summary>
public sealed record ChatBody(string? BaseUrl, string? Model, string? ApiKey, int? MaxOutputTokens, double? PromptPricePer1k, double? CompletionPricePer1k)
{
    internal ChatSettings ToSettings(Validation v, bool allowPrivateNetworks)
    {
        var baseUrl = v.Required(BaseUrl, "chat.baseUrl");
        // A key goes only to https; a stored key is kept only for an unchanged base URL, which passed this check when it was set.
        v.WebhookUrl(BaseUrl, "chat.baseUrl", allowPrivateNetworks, carriesSecret: !string.IsNullOrEmpty(ApiKey));
        var model = v.Required(Model, "chat.model");
        if (Model is not null && (Model.Length is 0 or > EngineApi.MaxModelLength || Model.Any(char.IsControl)))
        {
            v.Add("chat.model", $"chat.model must be 1 to {EngineApi.MaxModelLength} characters without control characters.");
        }

        v.MaxLength(ApiKey, "chat.apiKey", EngineApi.MaxApiKeyLength);
        if (ApiKey is not null && ApiKey.Any(char.IsControl))
        {
            v.Add("chat.apiKey", "chat.apiKey may not hold control characters.");
        }

        v.Range(MaxOutputTokens, "chat.maxOutputTokens", 16, 32_768);
        v.Range(PromptPricePer1k, "chat.promptPricePer1k", 0, 1_000);
        v.Range(CompletionPricePer1k, "chat.completionPricePer1k", 0, 1_000);
        return new ChatSettings(
            baseUrl?.TrimEnd('/') ?? string.Empty, model ?? string.Empty, ApiKey, MaxOutputTokens ?? ChatSettings.DefaultMaxOutputTokens, PromptPricePer1k ?? 0, CompletionPricePer1k ?? 0);
    }
}

/// <summary>The engine as shown: never the key, only whether one is stored.</summary>
public sealed record ChatResponseBody(string BaseUrl, string Model, bool ApiKeySet, int MaxOutputTokens, double PromptPricePer1k, double CompletionPricePer1k)
{
    internal static ChatResponseBody? From(ChatView? c) =>
        c is null ? null : new(c.BaseUrl, c.Model, c.ApiKeySet, c.MaxOutputTokens, c.PromptPricePer1K, c.CompletionPricePer1K);
}

public sealed record EngineSettingsView(string Kind, string Fallback, ChatResponseBody? Chat, double MaxChatConfidence)
{
    internal static EngineSettingsView From(EngineView e) => new(e.Kind, e.Fallback, ChatResponseBody.From(e.Chat), e.MaxChatConfidence);
}

/// <summary>GET and PUT .../engine: the engine, today's token use against the budget, and the config version.</summary>
public sealed record EngineResponse(EngineSettingsView Engine, long EngineTokensUsedToday, long EngineTokensPerDay, long Version)
{
    internal static EngineResponse From(EngineReading r) => new(EngineSettingsView.From(r.Engine), r.EngineTokensUsedToday, r.EngineTokensPerDay, r.ConfigVersion);
}

namespace Autonomy.Decisions;

/// <summary>Which engine answers a tenant's decision runs.</summary>
public enum EngineKind
{
    /// <summary>The deterministic playbook (free).</summary>
    Playbook,

    /// <summary>An LLM behind an OpenAI-compatible chat completions endpoint (<see cref="ChatEngine"/>).</summary>
    Chat,
}

/// <summary>What answers when the chat engine cannot: the token budget is used up, or the call failed or was rejected.</summary>
public enum EngineFallback
{
    /// <summary>The run is deferred, its window's signals held, and tried again later.</summary>
    Defer,

    /// <summary>The playbook answers this run instead.</summary>
    Playbook,
}

/// <summary>
/// A tenant's engine configuration (<c>PUT .../engine</c>). The chat settings hold a key that never leaves the silo.
/// <see cref="MaxChatConfidence"/> caps the confidence of every chat proposal before the policy reads it (null: the
/// default, <see cref="DefaultMaxChatConfidence"/>), so a model's answer clears a tenant's minimum confidence above
/// the cap only when the admin raises it.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.gate.EngineSettings")]
public sealed record EngineSettings(
    [property: Id(0)] EngineKind Kind,
    [property: Id(1)] EngineFallback Fallback,
    [property: Id(2)] ChatSettings? Chat,
    [property: Id(3)] double? MaxChatConfidence = null)
{
    public const double DefaultMaxChatConfidence = 0.8;

    public static readonly EngineSettings Default = new(EngineKind.Playbook, EngineFallback.Defer, null);

    /// <summary>Whether runs go to the chat engine.</summary>
    public bool UsesChat => Kind == EngineKind.Chat && Chat is not null;

    /// <summary>The cap in force on a chat proposal's confidence.</summary>
    public double ChatConfidenceCap => MaxChatConfidence ?? DefaultMaxChatConfidence;

    /// <summary>What may be shown and ledgered: everything but the key, whose presence alone is said.</summary>
    public EngineView View() => new(Wire(Kind), Wire(Fallback), Chat?.View(), ChatConfidenceCap);

    public static string Wire(EngineKind kind) => kind == EngineKind.Chat ? "chat" : "playbook";

    public static string Wire(EngineFallback fallback) => fallback == EngineFallback.Playbook ? "playbook" : "defer";
}

/// <summary>
/// An OpenAI-compatible endpoint: base URL (e.g. <c>https://api.openai.com/v1</c>), model, API key (write-only),
/// the completion's token cap, and the prices per 1,000 prompt and completion tokens (in the tenant's currency)
/// that every call's cost is recorded at.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.gate.ChatSettings")]
public sealed record ChatSettings(
    [property: Id(0)] string BaseUrl,
    [property: Id(1)] string Model,
    [property: Id(2)] string? ApiKey,
    [property: Id(3)] int MaxOutputTokens,
    [property: Id(4)] double PromptPricePer1K,
    [property: Id(5)] double CompletionPricePer1K)
{
    public const int DefaultMaxOutputTokens = 1024;

    public ChatView View() => new(BaseUrl, Model, !string.IsNullOrEmpty(ApiKey), MaxOutputTokens, PromptPricePer1K, CompletionPricePer1K);

    /// <summary>The cost of a call that used these many tokens.</summary>
    public double Cost(long promptTokens, long completionTokens) =>
        (promptTokens / 1000.0 * PromptPricePer1K) + (completionTokens / 1000.0 * CompletionPricePer1K);

    /// <summary>Never prints the key (records print every member by default, and settings end up in logs).</summary>
    public override string ToString() => $"ChatSettings {{ BaseUrl = {BaseUrl}, Model = {Model}, ApiKeySet = {!string.IsNullOrEmpty(ApiKey)} }}";
}

/// <summary>The engine configuration as the API shows it and the ledger records it: no key.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.gate.EngineView")]
public sealed record EngineView(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Fallback,
    [property: Id(2)] ChatView? Chat,
    [property: Id(3)] double MaxChatConfidence = EngineSettings.DefaultMaxChatConfidence);

/// <summary>Chat settings without the key: <see cref="ApiKeySet"/> says whether one is stored.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.gate.ChatView")]
public sealed record ChatView(
    [property: Id(0)] string BaseUrl,
    [property: Id(1)] string Model,
    [property: Id(2)] bool ApiKeySet,
    [property: Id(3)] int MaxOutputTokens,
    [property: Id(4)] double PromptPricePer1K,
    [property: Id(5)] double CompletionPricePer1K);

using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Autonomy.Tests.Support;

/// <summary>
/// An OpenAI-compatible chat completions endpoint on loopback (<c>POST /v1/chat/completions</c>) answering canned
/// JSON with <c>usage</c>. The request's model picks the behaviour: <see cref="Ok"/> answers <see cref="Answers"/>
/// (or one CREATE_TASK proposal), <see cref="Malformed"/> prose, <see cref="Slow"/> nothing for a minute,
/// <see cref="Error"/> HTTP 500, <see cref="NoUsage"/> a good answer without usage.
/// </summary>
public sealed class FakeChatServer : IAsyncDisposable
{
    public const string Ok = "ok-model";
    public const string Malformed = "malformed-model";
    public const string Slow = "slow-model";
    public const string Error = "error-model";
    public const string NoUsage = "no-usage-model";

    public const int PromptTokens = 100;
    public const int CompletionTokens = 50;

    public const string CreateTask = """{"proposals":[{"actionType":"CREATE_TASK","parameters":"{\"title\":\"Call back\"}","confidence":0.9,"rationale":"Intent is high.","inputsUsed":["posture"]}]}""";

    private readonly WebApplication _app;
    private int _inFlight;

    private FakeChatServer(WebApplication app) => _app = app;

    /// <summary>What a model answers (the assistant message's content), by model name; else <see cref="CreateTask"/>.</summary>
    public ConcurrentDictionary<string, string> Answers { get; } = new();

    /// <summary>Every request: the Authorization header and the body.</summary>
    public ConcurrentQueue<(string? Authorization, JsonNode Body)> Requests { get; } = new();

    public int MaxConcurrent { get; private set; }

    /// <summary>The base URL to configure (<c>http://127.0.0.1:port/v1</c>).</summary>
    public string BaseUrl => _app.Address() + "/v1";

    public static async Task<FakeChatServer> StartAsync()
    {
        var app = LoopbackApp.Create(builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        var server = new FakeChatServer(app);
        app.MapPost("/v1/chat/completions", server.AnswerAsync);
        await app.StartAsync();
        return server;
    }

    private async Task<IResult> AnswerAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = (await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken))!;
        Requests.Enqueue((request.Headers.Authorization.ToString(), body));
        var now = Interlocked.Increment(ref _inFlight);
        lock (this)
        {
            MaxConcurrent = Math.Max(MaxConcurrent, now);
        }

        try
        {
            var model = (string?)body["model"] ?? Ok;
            switch (model)
            {
                case Error:
                    return Results.Json(new { error = new { message = "The model is overloaded.", type = "server_error" } }, statusCode: 500);
                case Slow:
                    await Task.Delay(TimeSpan.FromMinutes(1), cancellationToken);
                    break;
                default:
                    await Task.Delay(20, cancellationToken);
                    break;
            }

            var content = model == Malformed ? "Sure! I would create a task and maybe send an email." : Answers.GetValueOrDefault(model, CreateTask);
            var completion = new JsonObject
            {
                ["id"] = "chatcmpl-" + Guid.NewGuid().ToString("N"),
                ["object"] = "chat.completion",
                ["created"] = 1_790_000_000,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
                    ["finish_reason"] = "stop",
                }),
            };
            if (model != NoUsage)
            {
                completion["usage"] = new JsonObject { ["prompt_tokens"] = PromptTokens, ["completion_tokens"] = CompletionTokens, ["total_tokens"] = PromptTokens + CompletionTokens };
            }

            return Results.Content(completion.ToJsonString(), "application/json");
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

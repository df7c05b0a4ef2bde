using System.Collections.Concurrent;
using Autonomy.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Autonomy.Tests.Connectors;

/// <summary>A tenant's system on loopback: answers each account's activity as JSON and records the auth header it saw.</summary>
public sealed class ActivitySource : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ActivitySource(WebApplication app) => _app = app;

    public ConcurrentQueue<string> AuthHeaders { get; } = new();

    public int Status { get; set; } = 200;

    public string Url => _app.Address() + "/crm/{accountId}?since={since}";

    public static async Task<ActivitySource> StartAsync()
    {
        var app = LoopbackApp.Create();
        var source = new ActivitySource(app);
        app.MapGet("/crm/{accountId}", (HttpRequest request) =>
        {
            source.AuthHeaders.Enqueue(request.Headers["X-Api-Key"].ToString());
            return source.Status != 200
                ? Results.StatusCode(source.Status)
                : Results.Text("""
                    {"data":{"activity":[
                      {"eventId":"e-1","kind":"reply","score":0.8,"when":"2026-11-02T08:00:00Z","info":{"subject":"Re: renewal"}},
                      {"eventId":"e-2","kind":"visit","score":0.2},
                      {"eventId":"e-3","kind":"unknown thing"}],
                     "scores":{"buyingIntent":0.9,"account":"x"}}}
                    """, "application/json");
        });
        await app.StartAsync();
        return source;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>
/// A tenant's system that answers at once until told to hold; then it holds each request until the test releases it
/// (the first held, the second, ...) and counts the held ones.
/// </summary>
public sealed class HeldSource : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource[] _releases = [.. Enumerable.Range(0, 8).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
    private volatile bool _holding;
    private int _held;

    private HeldSource(WebApplication app) => _app = app;

    public int Held => Volatile.Read(ref _held);

    public string Url => _app.Address() + "/crm/{accountId}";

    public static async Task<HeldSource> StartAsync()
    {
        var app = LoopbackApp.Create();
        var source = new HeldSource(app);
        app.MapGet("/crm/{accountId}", async () =>
        {
            if (source._holding)
            {
                var n = Interlocked.Increment(ref source._held) - 1;
                await source._releases[Math.Min(n, source._releases.Length - 1)].Task;
            }

            return Results.Text("""{"data":{"activity":[]}}""", "application/json");
        });
        await app.StartAsync();
        return source;
    }

    public void Hold() => _holding = true;

    /// <summary>Lets the <paramref name="n"/>th held request (from 0) answer.</summary>
    public void Release(int n) => _releases[n].TrySetResult();

    public ValueTask DisposeAsync()
    {
        foreach (var release in _releases)
        {
            release.TrySetResult();
        }

        return _app.DisposeAsync();
    }
}

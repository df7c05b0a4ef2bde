using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Autonomy.Gateway.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Autonomy.Gateway.Tests;

/// <summary>The gateway (embedded, its own silo ports) with the product's trace sources exported to OpenTelemetry's in-memory exporter.</summary>
public sealed class TracingGatewayFactory : GatewayFactory
{
    /// <summary>Every span the gateway's tracer provider exported, as it ended.</summary>
    public List<Activity> Spans { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Autonomy:SiloPort", Loopback.FreePort().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Autonomy:GatewayPort", Loopback.FreePort().ToString(CultureInfo.InvariantCulture));
        // The product's own sources (collected in production when OTLP is configured), exported to memory here.
        builder.ConfigureServices(services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddAutonomySources().AddInMemoryExporter(Spans)));
    }

    public IReadOnlyList<Activity> Snapshot()
    {
        lock (Spans)
        {
            return [.. Spans];
        }
    }
}

/// <summary>
/// One trace per request: a signal POSTed to the gateway, the grain calls it makes, the decision run the account starts
/// on its debounce timer after the request has returned, and the run's call to the tenant's executor webhook share one
/// trace id (docs/cluster-and-operations.md, "Traces").
/// </summary>
public sealed class TracingTests(TracingGatewayFactory factory) : IClassFixture<TracingGatewayFactory>
{
    private const string Playbook = """
        {"rules":[{"when":{"signalType":"TRACE_INSTANT"},
                   "propose":[{"actionType":"CREATE_TASK","parameters":{"title":"Call back"},"confidence":0.9}]}],
         "triggers":[{"type":"TRACE_INSTANT","debounceSeconds":0,"maxWaitSeconds":0,"cooldownSeconds":0}]}
        """;

    [Fact]
    public async Task ASignalThatEndsInAWebhookCallIsOneTraceFromTheRequestToTheExecutor()
    {
        await using var receiver = await TraceparentReceiver.StartAsync();
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        var ingest = factory.Client(Tokens.Ingest(tenant));
        await (await admin.PutJson($"/v1/tenants/{tenant}/autonomy/modes/CREATE_TASK", """{"mode":"AUTO_EXECUTE"}""")).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/playbook", Playbook)).Expect(HttpStatusCode.OK);
        await (await admin.PutJson($"/v1/tenants/{tenant}/executor", $$"""{"webhookUrl":"{{receiver.Url}}","webhookActionTypes":["CREATE_TASK"]}""")).Expect(HttpStatusCode.OK);
        await (await ingest.PutJson($"/v1/tenants/{tenant}/accounts/acc-1", """{"ownerId":"seller-1","lifecycle":"CUSTOMER"}""")).Expect(HttpStatusCode.OK);

        await (await ingest.PostJson($"/v1/tenants/{tenant}/accounts/acc-1/signals", """{"signals":[{"id":"s-1","type":"TRACE_INSTANT","value":0.9}]}"""))
            .Expect(HttpStatusCode.Accepted);
        var delivered = await Eventually.FoundAsync(() => Task.FromResult(receiver.Traceparents.FirstOrDefault()), TimeSpan.FromSeconds(15), "the executor webhook called");

        var request = await Eventually.FoundAsync(
            () => Task.FromResult(factory.Snapshot().FirstOrDefault(a =>
                a.Source.Name == "Microsoft.AspNetCore" && a.Kind == ActivityKind.Server && Path(a) == $"/v1/tenants/{tenant}/accounts/acc-1/signals")),
            TimeSpan.FromSeconds(10),
            "the signal request's span");
        var trace = request.TraceId;
        var spans = await Eventually.UntilAsync(
            () => Task.FromResult(factory.Snapshot().Where(a => a.TraceId == trace).ToList()),
            s => s.Any(a => a.OperationName == "autonomy.decision-run") && s.Any(IsExecutorCall),
            TimeSpan.FromSeconds(10),
            "the decision run's and the executor call's spans in the request's trace");

        var names = string.Join(", ", spans.Select(a => $"{a.Source.Name}:{a.DisplayName}"));
        Assert.True(spans.Any(a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && a.DisplayName.Contains("IngestSignals", StringComparison.Ordinal)),
            $"no grain call span for the ingest in the trace: {names}");
        Assert.True(spans.Any(a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && a.DisplayName.Contains("Execut", StringComparison.Ordinal)),
            $"no grain call span for the execution in the trace: {names}");
        var run = spans.Single(a => a.OperationName == "autonomy.decision-run");
        Assert.NotNull(run.GetTagItem("autonomy.run_id"));
        Assert.Equal(request.TraceId, run.TraceId);
        Assert.Contains(spans, IsExecutorCall);
        // The receiver saw the same trace in the call's traceparent header (W3C: 00-<trace id>-<span id>-<flags>).
        Assert.Equal(trace.ToHexString(), delivered.Split('-')[1]);

        static bool IsExecutorCall(Activity a) => a.Source.Name == "System.Net.Http" && a.Kind == ActivityKind.Client && (a.GetTagItem("url.full") as string)?.EndsWith("/hook", StringComparison.Ordinal) == true;
    }

    private static string? Path(Activity a) => a.GetTagItem("url.path") as string;

    /// <summary>A webhook receiver on loopback that keeps the traceparent header of each delivery.</summary>
    private sealed class TraceparentReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private TraceparentReceiver(WebApplication app) => _app = app;

        public ConcurrentQueue<string> Traceparents { get; } = new();

        public string Url => _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First() + "/hook";

        public static async Task<TraceparentReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new TraceparentReceiver(app);
            app.MapPost("/hook", (HttpRequest request) =>
            {
                receiver.Traceparents.Enqueue(request.Headers["traceparent"].ToString());
                return Results.Ok();
            });
            await app.StartAsync();
            return receiver;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Autonomy;

/// <summary>
/// One OpenTelemetry setup for every host (gateway and silo): traces from ASP.NET Core through Orleans (activity
/// propagation) to the decision runs (source "Autonomy"), collected only when they are exported; metrics of the meter
/// "Autonomy", Orleans and ASP.NET Core. Exported by OTLP when <c>Autonomy:Otlp:Endpoint</c> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and
/// scraped at <c>GET /metrics</c> when <c>Autonomy:Metrics:Prometheus</c> is true. No metric carries a tenant id unless
/// <c>Autonomy:Metrics:TenantLabels</c> is true.
/// </summary>
public static class Telemetry
{
    public static IServiceCollection AddAutonomyTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddMeter(AutonomyMetrics.Name, "Microsoft.Orleans");
                if (!TenantLabels(configuration))
                {
                    // Tenant ids are customer names in practice: kept off every exported metric unless the operator asks.
                    metrics.AddView(instrument =>
                        instrument.Meter.Name == AutonomyMetrics.Name && AutonomyMetrics.TenantTagged.TryGetValue(instrument.Name, out var kept)
                            ? new MetricStreamConfiguration { TagKeys = kept }
                            : null);
                }

                if (PrometheusEnabled(configuration))
                {
                    metrics.AddPrometheusExporter();
                }
            });

        // Traces only where they go somewhere: with no exporter, a listener would still make an activity for every request
        // and every grain call (about a tenth of what an ingest request allocates) only to drop it.
        if (OtlpConfigured(configuration))
        {
            telemetry.WithTracing(tracing => tracing.AddAutonomySources());
        }

        if (configuration["Autonomy:Otlp:Endpoint"] is { Length: > 0 } endpoint)
        {
            telemetry.UseOtlpExporter(OtlpExportProtocol.Grpc, new Uri(endpoint));
        }
        else if (configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 })
        {
            telemetry.UseOtlpExporter();
        }

        return services;
    }

    /// <summary>
    /// What one trace per request is made of: the gateway's request span, the grain calls (Orleans activity propagation),
    /// the decision run (source "Autonomy") and .NET's own HttpClient spans (webhooks, connectors, chat engines), which
    /// carry the trace onward in <c>traceparent</c>. Called for the OTLP exporter, and by a host that brings its own.
    /// </summary>
    public static TracerProviderBuilder AddAutonomySources(this TracerProviderBuilder tracing) =>
        tracing
            .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
            .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", AutonomyMetrics.Name, "System.Net.Http");

    /// <summary>Maps <c>GET /metrics</c> (Prometheus text format) when enabled.</summary>
    public static IEndpointRouteBuilder MapAutonomyMetrics(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        if (PrometheusEnabled(configuration))
        {
            app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        }

        return app;
    }

    private static bool OtlpConfigured(IConfiguration configuration) =>
        configuration["Autonomy:Otlp:Endpoint"] is { Length: > 0 } || configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 };

    private static bool PrometheusEnabled(IConfiguration configuration) => configuration.GetValue<bool>("Autonomy:Metrics:Prometheus");

    private static bool TenantLabels(IConfiguration configuration) => configuration.GetValue<bool>("Autonomy:Metrics:TenantLabels");
}

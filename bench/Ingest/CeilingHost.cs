using Autonomy.Gateway;
using Autonomy.Gateway.Apis;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Bench.Ingest;

/// <summary>
/// The ceiling of the ingest benchmark: the gateway's JWT authentication and access policies, its JSON setup, problem
/// details, security headers, fair-share limits and signal validation, on the same route, in front of an endpoint that answers what
/// the gateway would answer for new signals without calling a grain. What the gateway reaches of this is what the
/// engine behind it costs.
/// </summary>
internal static class CeilingHost
{
    public static int Run(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddGatewayAuth();
        builder.AddGatewayProblems();
        builder.AddGatewayLimits();
        var app = builder.Build();
        app.UseSecurityHeaders();
        app.UseGatewayPipeline();
        app.MapGet("/health/ready", () => "ok").AllowAnonymous();
        app.MapGroup("/v1/tenants/{tenantId}/accounts/{accountId}")
            .RequireAuthorization(Access.Tenant)
            .AddEndpointFilter<RouteValuesFilter>()
            .MapPost("/signals", Ingest)
            .RequireAuthorization(Access.Ingest);
        app.Run();
        return 0;
    }

    /// <summary>As <see cref="AccountsApi.IngestSignals"/>, with every signal new and no grain behind it.</summary>
    private static Results<Accepted<IngestResponse>, ValidationProblem> Ingest(string tenantId, string accountId, SignalsRequest body, System.Security.Claims.ClaimsPrincipal user)
    {
        var v = new Validation();
        var signals = body.ToInputs(v);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        _ = user.ToActor();
        return TypedResults.Accepted((string?)null, new IngestResponse(signals.Length, 0));
    }
}

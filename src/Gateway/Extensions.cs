using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Actions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.OpenApi;

namespace Autonomy.Gateway;

/// <summary>The gateway's wiring, one concern per method, in the order Program.cs reads.</summary>
public static class Extensions
{
    /// <summary>
    /// Orleans. Embedded (default): the gateway co-hosts the silo, so one process runs everything. Cluster: the
    /// gateway is an Orleans client of separately run silos.
    /// </summary>
    public static WebApplicationBuilder AddAutonomyOrleans(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var autonomy = builder.Configuration.GetSection(AutonomyOptions.Section).Get<AutonomyOptions>() ?? new AutonomyOptions();
        if (autonomy.Mode == AutonomyMode.Cluster)
        {
            builder.UseOrleansClient(client => client.AddAutonomyClient(builder.Configuration).AddSiloLossRetry());
        }
        else
        {
            builder.UseOrleans(silo => silo.AddAutonomySilo(builder.Configuration));
        }

        return builder;
    }

    /// <summary>JWT bearer tokens (HS256; claims tenant, role, sub kept raw) and the access policies.</summary>
    public static WebApplicationBuilder AddGatewayAuth(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // No key ships with the gateway: a configured one, else (embedded) the data directory's, generated on first start.
        var signingKey = SigningKeys.Resolve(builder.Configuration);
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .PostConfigure(auth => auth.SigningKey = signingKey?.Key ?? "")
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        if (signingKey?.File is { } keyFile)
        {
            builder.Services.AddHostedService(sp => new SigningKeyNotice(keyFile, sp.GetRequiredService<ILogger<SigningKeyNotice>>()));
        }
        // "Bearer" answers from the cache of accepted tokens and asks the JWT handler about the rest.
        builder.Services.AddSingleton(sp =>
        {
            var auth = sp.GetRequiredService<IOptions<AuthOptions>>().Value;
            return new ValidatedTokenCache(sp.GetService<TimeProvider>() ?? TimeProvider.System, auth.ValidatedTokenCacheAge, auth.ValidatedTokenCacheSize);
        });
        builder.Services.AddAuthentication(CachedBearerHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CachedBearerHandler>(CachedBearerHandler.SchemeName, null)
            .AddJwtBearer(CachedBearerHandler.ValidatingScheme);
        builder.Services.AddOptions<JwtBearerOptions>(CachedBearerHandler.ValidatingScheme).Configure<IOptions<AuthOptions>>((jwt, auth) =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = auth.Value.Issuer,
                ValidAudience = auth.Value.Audience,
                IssuerSigningKey = auth.Value.Key(),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                NameClaimType = GatewayClaims.Subject,
                RoleClaimType = GatewayClaims.Role,
                ClockSkew = TimeSpan.FromMinutes(1),
            };
            jwt.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    // No sub, the engine's reserved subject, or a lifetime beyond Auth:MaxTokenLifetime: 401 (TokenRules).
                    var token = context.SecurityToken as JsonWebToken;
                    var refusal = TokenRules.Refusal(
                        context.Principal?.FindFirst(GatewayClaims.Subject)?.Value,
                        Time(token?.IssuedAt), Time(token?.ValidFrom), Time(token?.ValidTo), auth.Value.MaxTokenLifetime);
                    if (refusal is not null)
                    {
                        context.Fail(refusal);
                    }

                    return Task.CompletedTask;
                },
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    var detail = context.AuthenticateFailure is null
                        ? "Send a token: Authorization: Bearer <JWT> (mint one with the gateway's mint-token command)."
                        : "The bearer token is invalid or expired; send a token signed with the configured key, issuer and audience.";
                    await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                    {
                        HttpContext = context.HttpContext,
                        ProblemDetails = new ProblemDetails { Status = StatusCodes.Status401Unauthorized, Title = "Unauthorized", Detail = detail },
                    });
                },
            };
        });

        builder.Services.AddAuthorizationBuilder().AddAccessPolicies();
        builder.Services.AddSingleton<IAuthorizationHandler, AccessHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        return builder;
    }

    /// <summary>A token's time claim, null when absent (the token reads it as <see cref="DateTime.MinValue"/>).</summary>
    private static DateTimeOffset? Time(DateTime? value) =>
        value is { } t && t != DateTime.MinValue ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;

    /// <summary>The one JSON setup, problem details everywhere, and the one exception handler.</summary>
    public static WebApplicationBuilder AddGatewayProblems(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.ConfigureHttpJsonOptions(options => GatewayJson.Configure(options.SerializerOptions));

        // Unreadable JSON reaches the exception handler as BadHttpRequestException, which names the field.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemDetailsExceptionHandler>();

        // Webhook URLs are checked against the same rule the silo's webhook client applies at connect time.
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);

        // So are the chat engine's base URLs, against the rule its HTTP client applies.
        builder.Services.AddOptions<Autonomy.Decisions.ChatEngineOptions>().BindConfiguration(Autonomy.Decisions.ChatEngineOptions.Section);
        return builder;
    }

    /// <summary>
    /// Every tenant's fair share of the gateway (<see cref="RateLimitOptions"/>), with nothing configured: ASP.NET
    /// Core's rate limiting partitioned by the token's tenant, and one long read (export, verify, calibrate) per tenant.
    /// </summary>
    public static WebApplicationBuilder AddGatewayLimits(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddFairShare();
        return builder;
    }

    /// <summary>OpenAPI, health checks, OpenTelemetry (OTLP only when an endpoint is configured) and the operator's dashboard (when enabled).</summary>
    public static WebApplicationBuilder AddGatewayOperations(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOpenApi(options => options.AddSchemaTransformer((schema, context, _) =>
        {
            // The contract's enums are strings spelled UPPER_SNAKE_CASE (see GatewayJson); say so in the document.
            var type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
            if (type.IsEnum)
            {
                schema.Type = JsonSchemaType.String;
                schema.Enum = [.. Enum.GetNames(type).Select(n => (JsonNode)JsonNamingPolicy.SnakeCaseUpper.ConvertName(n))];
            }

            return Task.CompletedTask;
        }).AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "HS256 token with the claims tenant, role (string or array) and sub; mint one with the mint-token command.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] }];
            return Task.CompletedTask;
        }));
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);

        builder.Services.AddAutonomyTelemetry(builder.Configuration, "autonomy-gateway");
        builder.AddOperatorDashboard();

        return builder;
    }

    /// <summary>
    /// Errors as problem details, then authentication and authorization, then the fair shares: a request counts
    /// against its tenant only once its token proved the tenant, so nobody spends another tenant's share.
    /// </summary>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>OpenAPI document and health endpoints, all without auth; the operator's dashboard when enabled.</summary>
    public static WebApplication MapOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapOpenApi().AllowAnonymous();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        app.MapAutonomyMetrics(app.Configuration);
        app.MapOperatorDashboard();
        return app;
    }
}

using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Autonomy.Gateway.Auth;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// The gateway's limiters, keyed by tenant (the token's tenant claim; an operator without one by its sub): a token
/// bucket where a tenant has a rate of its own, the tenant's concurrency share with its short queue, the node's
/// concurrency, and one long read (export, verify, calibrate) at a time per tenant. Partitions of idle tenants are
/// dropped by the limiters themselves, so they hold only the tenants active now.
/// </summary>
public sealed class TenantLimiters : IAsyncDisposable
{
    /// <summary>The key of a request without a token (health, OpenAPI): never limited.</summary>
    private const string NoCaller = "";

    private readonly RateLimitOptions _options;

    public TenantLimiters(IOptions<RateLimitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        var node = _options.NodeConcurrency;
        Rates = PartitionedRateLimiter.Create<string, string>(tenant => tenant != NoCaller && _options.For(tenant) is { RequestsPerSecond: { } perSecond } limits
            ? RateLimitPartition.GetTokenBucketLimiter(tenant, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limits.Burst ?? perSecond,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            })
            : RateLimitPartition.GetNoLimiter(tenant));
        Requests = PartitionedRateLimiter.Create<string, string>(tenant => tenant == NoCaller
            ? RateLimitPartition.GetNoLimiter(tenant)
            : RateLimitPartition.GetConcurrencyLimiter(tenant, t => new ConcurrencyLimiterOptions
            {
                PermitLimit = _options.For(t).ConcurrentRequests,
                QueueLimit = _options.For(t).Queue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));

        // One partition for every caller: the node's capacity, with as many waiting again.
        Node = PartitionedRateLimiter.Create<string, string>(caller => caller == NoCaller
            ? RateLimitPartition.GetNoLimiter(caller)
            : RateLimitPartition.GetConcurrencyLimiter(nameof(Node), _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = node,
                QueueLimit = node,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
        LongReads = PartitionedRateLimiter.Create<string, string>(tenant => tenant == NoCaller
            ? RateLimitPartition.GetNoLimiter(tenant)
            : RateLimitPartition.GetConcurrencyLimiter(tenant, t => new ConcurrencyLimiterOptions
            {
                PermitLimit = _options.For(t).LongReads,
                QueueLimit = 0,
            }));
    }

    /// <summary>Per tenant with a rate of its own: a token bucket. Others pass.</summary>
    public PartitionedRateLimiter<string> Rates { get; }

    /// <summary>Per tenant: its concurrency share and queue.</summary>
    public PartitionedRateLimiter<string> Requests { get; }

    /// <summary>All tenants together: the node's concurrency.</summary>
    public PartitionedRateLimiter<string> Node { get; }

    /// <summary>Per tenant: exports, verifications and calibrations at once, none waiting.</summary>
    public PartitionedRateLimiter<string> LongReads { get; }

    /// <summary>The chain every request passes (a tenant's rate, its share, the node), or no limit for a caller with no token.</summary>
    public PartitionedRateLimiter<HttpContext> ForRequests() => PartitionedRateLimiter.CreateChained(
        Gate(Rates), Gate(Requests), Gate(Node));

    /// <summary>Whom a request counts against: the token's tenant, an operator's sub, or nobody (no token: health, OpenAPI).</summary>
    public static string? CallerOf(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return GatewayCaller.Of(context.User).LimiterKey;
    }

    public async ValueTask DisposeAsync()
    {
        await Rates.DisposeAsync();
        await Requests.DisposeAsync();
        await Node.DisposeAsync();
        await LongReads.DisposeAsync();
    }

    private static PartitionedRateLimiter<HttpContext> Gate(PartitionedRateLimiter<string> limiter) =>
        limiter.WithTranslatedKey<HttpContext>(c => CallerOf(c) ?? NoCaller, leaveOpen: true);
}

/// <summary>The fair-share wiring: ASP.NET Core's rate limiting with <see cref="TenantLimiters"/>, and 429 problem details with Retry-After.</summary>
public static class FairShare
{
    /// <summary>Retry-After of a refusal whose limiter names no time (a concurrency share): a moment.</summary>
    private const int RetryAfterSeconds = 1;

    /// <summary>Retry-After of a refused long read: another one of the tenant is running, usually for a while.</summary>
    private const int LongReadRetryAfterSeconds = 5;

    public static IServiceCollection AddFairShare(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        services.AddSingleton<TenantLimiters>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<TenantLimiters>((limiter, limiters) =>
        {
            limiter.GlobalLimiter = limiters.ForRequests();
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (rejected, _) => new ValueTask(TooManyAsync(
                rejected.HttpContext,
                rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null,
                "Too many requests",
                "This tenant has as many requests in flight on this gateway as its fair share allows, or the gateway is at capacity. Retry after the time in Retry-After."));
        });
        return services;
    }

    /// <summary>
    /// One export, verify or calibration per tenant at a time (<c>Autonomy:Limits:LongReadsPerTenant</c>): a second
    /// is refused with 429 at once. The permit is held until the result has written the response, streamed exports included.
    /// </summary>
    public static TBuilder RequireLongReadPermit<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(LongReadPermitAsync);

    /// <summary>The filter of <see cref="RequireLongReadPermit{TBuilder}"/>.</summary>
    internal static async ValueTask<object?> LongReadPermitAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var limiters = http.RequestServices.GetRequiredService<TenantLimiters>();
        var lease = limiters.LongReads.AttemptAcquire(TenantLimiters.CallerOf(http) ?? "");
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            await TooManyAsync(
                http, TimeSpan.FromSeconds(LongReadRetryAfterSeconds), "Too many long reads",
                "Another ledger export, ledger verification or ranking calibration of this tenant is running on this gateway; one runs at a time (Autonomy:Limits:LongReadsPerTenant). Retry when it has finished.");
            return Results.Empty;
        }

        // Released once the result has written its body (a streamed export included), before the response
        // completes: a client that reads the answer and at once asks for the next long read must find the permit
        // free, which a release at the response's disposal (after the last byte was sent) did not promise. The
        // disposal stays as the fallback for a handler that throws or returns something else.
        var permit = new LongReadPermit(lease);
        http.Response.RegisterForDispose(permit);
        var result = await next(context);
        return result is IResult inner ? new ReleasingResult(inner, permit) : result;
    }

    /// <summary>A long read's permit, released once whoever comes first releases it.</summary>
    private sealed class LongReadPermit(RateLimitLease lease) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                lease.Dispose();
            }
        }
    }

    /// <summary>Runs the endpoint's result, then releases the permit.</summary>
    private sealed class ReleasingResult(IResult inner, IDisposable permit) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            try
            {
                await inner.ExecuteAsync(httpContext);
            }
            finally
            {
                permit.Dispose();
            }
        }
    }

    /// <summary>429 problem details with Retry-After in whole seconds (at least 1).</summary>
    public static async Task TooManyAsync(HttpContext http, TimeSpan? retryAfter, string title, string detail)
    {
        ArgumentNullException.ThrowIfNull(http);
        var seconds = retryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : RetryAfterSeconds;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status429TooManyRequests, Title = title, Detail = detail },
        });
    }
}

using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Gateway.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// Every tenant's fair share of a gateway: a tenant over its share is refused with 429 and Retry-After while other
/// tenants go on; limits come from configuration. A tenant's permits are held here as its requests in flight hold
/// them, so nothing depends on timing.
/// </summary>
public sealed class FairShareTests(FairShareTests.Gateway gateway) : IClassFixture<FairShareTests.Gateway>
{
    /// <summary>A tenant whose own limit is one request at a time, none waiting.</summary>
    private const string Limited = "t-fair-limited";

    [Fact]
    public async Task ATenantOverItsShareGets429WithRetryAfterWhileAnotherTenantsRequestsPass()
    {
        var quiet = Tokens.FreshTenant();
        var limiters = gateway.Factory.Services.GetRequiredService<TenantLimiters>();
        var flooding = gateway.Factory.Client(Tokens.Admin(Limited));

        using (var inFlight = limiters.Requests.AttemptAcquire(Limited))
        {
            Assert.True(inFlight.IsAcquired);

            var refused = await flooding.GetAsync($"/v1/tenants/{Limited}/autonomy");
            var problem = await refused.Expect(HttpStatusCode.TooManyRequests);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(429, (int?)problem["status"]);
            Assert.Equal("Too many requests", (string?)problem["title"]);
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");

            // Another tenant is not held back by the one over its share.
            await (await gateway.Factory.Client(Tokens.Admin(quiet)).GetAsync($"/v1/tenants/{quiet}/autonomy")).Expect(HttpStatusCode.OK);
            await (await gateway.Factory.Client(Tokens.Ingest(quiet)).PostJson(
                $"/v1/tenants/{quiet}/accounts/acc-1/signals", """{"signals":[{"id":"s-1","type":"EMAIL_REPLY_RECEIVED","value":0.5}]}""")).Expect(HttpStatusCode.Accepted);
        }

        // Its request done, the tenant is served again.
        await (await flooding.GetAsync($"/v1/tenants/{Limited}/autonomy")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ConfigurationSetsTheLimitATenantWithoutOneHasTheSizedDefault()
    {
        var tenant = Tokens.FreshTenant();
        var limiters = gateway.Factory.Services.GetRequiredService<TenantLimiters>();
        var options = gateway.Factory.Services.GetRequiredService<IOptions<RateLimitOptions>>().Value;

        // The configured tenant: 1 at once, none waiting. Any other: a quarter of the node's 64 per processor.
        Assert.Equal(new TenantLimits(1, 0, null, null, 1), options.For(Limited));
        var share = RateLimitOptions.RequestsPerProcessor * Environment.ProcessorCount / 4;
        Assert.Equal(new TenantLimits(share, share, null, null, 1), options.For(tenant));

        // One request of an unconfigured tenant in flight leaves it room for more.
        using var inFlight = limiters.Requests.AttemptAcquire(tenant);
        Assert.True(inFlight.IsAcquired);
        await (await gateway.Factory.Client(Tokens.Admin(tenant)).GetAsync($"/v1/tenants/{tenant}/autonomy")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ASecondExportVerifyOrCalibrationOfATenantIs429WhileOneRunsAndOtherTenantsExport()
    {
        var tenant = Tokens.FreshTenant();
        var other = Tokens.FreshTenant();
        var limiters = gateway.Factory.Services.GetRequiredService<TenantLimiters>();
        var admin = gateway.Factory.Client(Tokens.Admin(tenant));

        using (var running = limiters.LongReads.AttemptAcquire(tenant))
        {
            Assert.True(running.IsAcquired);

            foreach (var refused in new[]
            {
                await admin.GetAsync($"/v1/tenants/{tenant}/ledger/export"),
                await admin.GetAsync($"/v1/tenants/{tenant}/ledger/verify"),
                await admin.PostAsync($"/v1/tenants/{tenant}/ranking/calibrate", null),
            })
            {
                var problem = await refused.Expect(HttpStatusCode.TooManyRequests);
                Assert.Equal("Too many long reads", (string?)problem["title"]);
                Assert.NotNull(refused.Headers.RetryAfter?.Delta);
            }

            // Short reads of the same tenant, and another tenant's export, go on.
            await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?limit=10")).Expect(HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.OK, (await gateway.Factory.Client(Tokens.Admin(other)).GetAsync($"/v1/tenants/{other}/ledger/export")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/v1/tenants/{tenant}/ledger/export")).StatusCode);
        await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger/verify")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ALongReadsPermitIsReleasedOnceItsResultHasWrittenTheAnswerNotWhenTheResponseIsDisposed()
    {
        // The filter as the endpoints run it, on a request nobody disposes: what frees the permit is the result having
        // written its answer, so a client reading the end of one export can at once start the next.
        var limiters = gateway.Factory.Services.GetRequiredService<TenantLimiters>();
        var http = new DefaultHttpContext
        {
            RequestServices = gateway.Factory.Services,
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(GatewayClaims.Tenant, Tokens.FreshTenant())], "test")),
        };
        http.Response.Body = new MemoryStream();
        var key = Assert.IsType<string>(TenantLimiters.CallerOf(http));

        var result = await FairShare.LongReadPermitAsync(
            new DefaultEndpointFilterInvocationContext(http),
            _ =>
            {
                using var held = limiters.LongReads.AttemptAcquire(key);
                Assert.False(held.IsAcquired);
                return ValueTask.FromResult<object?>(Results.Text("answer"));
            });

        using (var whileUnwritten = limiters.LongReads.AttemptAcquire(key))
        {
            Assert.False(whileUnwritten.IsAcquired);
        }

        await Assert.IsAssignableFrom<IResult>(result).ExecuteAsync(http);
        Assert.True(http.Response.Body.Length > 0);
        using var free = limiters.LongReads.AttemptAcquire(key);
        Assert.True(free.IsAcquired);
    }

    [Fact]
    public async Task ATenantsOwnRateIsATokenBucketThatNamesWhenToRetry()
    {
        var options = new RateLimitOptions { Tenants = { ["rated"] = new TenantLimitOptions { RequestsPerSecond = 5, Burst = 2 } } };
        await using var limiters = new TenantLimiters(Options.Create(options));

        using var first = limiters.Rates.AttemptAcquire("rated");
        using var second = limiters.Rates.AttemptAcquire("rated");
        using var third = limiters.Rates.AttemptAcquire("rated");

        Assert.True(first.IsAcquired && second.IsAcquired);
        Assert.False(third.IsAcquired);
        Assert.True(third.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero);
        using var unrated = limiters.Rates.AttemptAcquire("unrated");
        Assert.True(unrated.IsAcquired);
    }

    [Fact]
    public void LimitsThatWouldRefuseEverythingAreRefusedAtStartNamingTheSetting()
    {
        var options = new RateLimitOptions { ConcurrentRequests = 0, Tenants = { ["acme"] = new TenantLimitOptions { Queue = -1 } } };

        var result = new RateLimitOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Autonomy:Limits:ConcurrentRequests", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Autonomy:Limits:Tenants:acme:Queue", result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>One gateway for the class, with <see cref="Limited"/> configured to one request at a time.</summary>
    public sealed class Gateway : IAsyncLifetime
    {
        public CustomGatewayFactory Factory { get; } = new(new Dictionary<string, string?>
        {
            [$"Autonomy:Limits:Tenants:{Limited}:ConcurrentRequests"] = "1",
            [$"Autonomy:Limits:Tenants:{Limited}:Queue"] = "0",
        });

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync() => await Factory.DisposeAsync();
    }
}

using Microsoft.Extensions.Options;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// Every tenant's fair share of a gateway (section "Autonomy:Limits"). Unset, the shares are sized from the node: the
/// gateway serves <see cref="ConcurrentRequests"/> requests at once, one tenant at most a quarter of them, so a tenant
/// that floods the node leaves three quarters to the others. Read at start.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Autonomy:Limits";

    /// <summary>The requests per processor the node serves at once when <see cref="ConcurrentRequests"/> is unset.</summary>
    public const int RequestsPerProcessor = 64;

    /// <summary>Requests the gateway serves at once, all tenants together; as many again wait for a slot. Unset: 64 per processor.</summary>
    public int? ConcurrentRequests { get; set; }

    /// <summary>Requests one tenant has in flight at once. Unset: a quarter of <see cref="ConcurrentRequests"/>.</summary>
    public int? TenantConcurrentRequests { get; set; }

    /// <summary>Requests of one tenant that wait for one of its slots (oldest first); one more is refused with 429. Unset: as many as the tenant's slots.</summary>
    public int? TenantQueue { get; set; }

    /// <summary>Ledger exports, ledger verifications and ranking calibrations one tenant runs at once on a gateway.</summary>
    public int LongReadsPerTenant { get; set; } = 1;

    /// <summary>A tenant's own limits, by tenant id (e.g. <c>Autonomy:Limits:Tenants:acme:RequestsPerSecond=500</c>).</summary>
    public Dictionary<string, TenantLimitOptions> Tenants { get; } = new(StringComparer.Ordinal);

    /// <summary>The node's concurrency: <see cref="ConcurrentRequests"/>, or 64 per processor.</summary>
    public int NodeConcurrency => ConcurrentRequests ?? RequestsPerProcessor * Environment.ProcessorCount;

    /// <summary>The limits that apply to <paramref name="tenant"/>: its own where set, else the shared defaults.</summary>
    public TenantLimits For(string tenant)
    {
        Tenants.TryGetValue(tenant, out var own);
        var concurrency = own?.ConcurrentRequests ?? TenantConcurrentRequests ?? Math.Max(1, NodeConcurrency / 4);
        return new TenantLimits(
            concurrency,
            own?.Queue ?? TenantQueue ?? concurrency,
            own?.RequestsPerSecond,
            own?.Burst ?? own?.RequestsPerSecond,
            own?.LongReads ?? LongReadsPerTenant);
    }
}

/// <summary>One tenant's own limits; each unset one is the shared default.</summary>
public sealed class TenantLimitOptions
{
    /// <summary>Requests this tenant has in flight at once.</summary>
    public int? ConcurrentRequests { get; set; }

    /// <summary>Requests of this tenant that wait for a slot.</summary>
    public int? Queue { get; set; }

    /// <summary>Sustained requests per second (a token bucket); unset: no rate limit beyond the concurrency share.</summary>
    public int? RequestsPerSecond { get; set; }

    /// <summary>The bucket's size: requests sent at once after a quiet spell. Unset: one second's worth.</summary>
    public int? Burst { get; set; }

    /// <summary>Exports, verifications and calibrations this tenant runs at once.</summary>
    public int? LongReads { get; set; }
}

/// <summary>The limits in force for one tenant.</summary>
public sealed record TenantLimits(int ConcurrentRequests, int Queue, int? RequestsPerSecond, int? Burst, int LongReads);

/// <summary>Refuses limits that would refuse everything, or nothing, at start, naming the setting.</summary>
public sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        Positive(options.ConcurrentRequests, $"{RateLimitOptions.Section}:ConcurrentRequests", problems);
        Positive(options.TenantConcurrentRequests, $"{RateLimitOptions.Section}:TenantConcurrentRequests", problems);
        NotNegative(options.TenantQueue, $"{RateLimitOptions.Section}:TenantQueue", problems);
        Positive(options.LongReadsPerTenant, $"{RateLimitOptions.Section}:LongReadsPerTenant", problems);
        foreach (var (tenant, own) in options.Tenants)
        {
            var prefix = $"{RateLimitOptions.Section}:Tenants:{tenant}";
            Positive(own.ConcurrentRequests, $"{prefix}:ConcurrentRequests", problems);
            NotNegative(own.Queue, $"{prefix}:Queue", problems);
            Positive(own.RequestsPerSecond, $"{prefix}:RequestsPerSecond", problems);
            Positive(own.Burst, $"{prefix}:Burst", problems);
            Positive(own.LongReads, $"{prefix}:LongReads", problems);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Positive(int? value, string setting, List<string> problems)
    {
        if (value is < 1)
        {
            problems.Add($"{setting} must be at least 1; it is {value}.");
        }
    }

    private static void NotNegative(int? value, string setting, List<string> problems)
    {
        if (value is < 0)
        {
            problems.Add($"{setting} must be 0 (no waiting) or more; it is {value}.");
        }
    }
}

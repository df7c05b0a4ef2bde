using System.Collections.Concurrent;
using System.Reflection;
using Autonomy.Common;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Polly;
using Polly.Retry;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>How the gateway rides out the loss of a silo (section "Autonomy:Gateway").</summary>
public sealed class GatewayRetryOptions
{
    public const string Section = "Autonomy:Gateway";

    /// <summary>
    /// How long the gateway keeps retrying an <see cref="IdempotentAttribute">idempotent</see> grain call that failed
    /// because a silo was lost under it; past it the client gets 503 with Retry-After. Zero turns retries off.
    /// Set it above the cluster's failure detection time (the Orleans:ClusterMembership probe settings).
    /// </summary>
    public TimeSpan RetryDeadline { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Refuses a negative or unreasonably long retry deadline at start, naming the setting.</summary>
public sealed class GatewayRetryOptionsValidator : IValidateOptions<GatewayRetryOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayRetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.RetryDeadline < TimeSpan.Zero || options.RetryDeadline > TimeSpan.FromMinutes(5)
            ? ValidateOptionsResult.Fail($"Autonomy:Gateway:RetryDeadline must be between 00:00:00 (no retries) and 00:05:00; it is {options.RetryDeadline}.")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>
/// Retries, in one place, the gateway's idempotent grain calls (methods marked <see cref="IdempotentAttribute"/>)
/// when they fail because a silo died or its activations are moving: exponential backoff with jitter, for at most
/// <see cref="GatewayRetryOptions.RetryDeadline"/>. Other calls (approvals, configuration writes) are never retried
/// here: one that failed may still have run, so only the caller can decide to send it again.
/// </summary>
public sealed class SiloLossRetryFilter : IOutgoingGrainCallFilter
{
    private static readonly ResiliencePropertyKey<long> Started = new("autonomy.retry.started");
    private static readonly ResiliencePropertyKey<string> Method = new("autonomy.retry.method");
    private static readonly ConcurrentDictionary<MethodInfo, bool> Idempotent = new();

    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _time;
    private readonly TimeSpan _deadline;

    /// <summary>Real time, not the engine's clock: how long a silo takes to be declared dead is infrastructure.</summary>
    public SiloLossRetryFilter(IOptions<GatewayRetryOptions> options, ILogger<SiloLossRetryFilter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = TimeProvider.System;
        _deadline = options.Value.RetryDeadline;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = _time }.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsSiloLoss(e) && WithinDeadline(args.Context)),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(1),
            MaxRetryAttempts = int.MaxValue,
            OnRetry = args =>
            {
                logger.LogInformation(
                    "Retrying {Method} after {Exception} (attempt {Attempt}, next in {Delay})",
                    args.Context.Properties.GetValue(Method, "a grain call"), args.Outcome.Exception?.GetType().Name, args.AttemptNumber + 2, args.RetryDelay);
                return default;
            },
        }).Build();
    }

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_deadline <= TimeSpan.Zero || !IsIdempotent(context.InterfaceMethod))
        {
            await context.Invoke();
            return;
        }

        var resilience = ResilienceContextPool.Shared.Get();
        resilience.Properties.Set(Started, _time.GetTimestamp());
        resilience.Properties.Set(Method, $"{context.InterfaceName}.{context.MethodName}");
        try
        {
            // The invoker lets a filter call Invoke again once the previous call returned; each sends the same request.
            await _pipeline.ExecuteAsync(static async (_, call) => await call.Invoke(), resilience, context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }
    }

    /// <summary>The failures of a call caught by a silo's death or an activation moving; anything else is the call's own answer.</summary>
    internal static bool IsSiloLoss(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    internal static bool IsIdempotent(MethodInfo? method) =>
        method is not null && Idempotent.GetOrAdd(method, static m => m.IsDefined(typeof(IdempotentAttribute), inherit: false));

    private bool WithinDeadline(ResilienceContext context) =>
        _time.GetElapsedTime(context.Properties.GetValue(Started, _time.GetTimestamp())) < _deadline;
}

/// <summary>Registers <see cref="SiloLossRetryFilter"/> on the gateway's Orleans client.</summary>
public static class SiloLossRetryExtensions
{
    public static IClientBuilder AddSiloLossRetry(this IClientBuilder client)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.Services.AddOptions<GatewayRetryOptions>().BindConfiguration(GatewayRetryOptions.Section).ValidateOnStart();
        client.Services.AddSingleton<IValidateOptions<GatewayRetryOptions>, GatewayRetryOptionsValidator>();
        client.AddOutgoingGrainCallFilter<SiloLossRetryFilter>();
        return client;
    }
}

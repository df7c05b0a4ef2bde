using System.Globalization;
using Autonomy.Actions;
using Autonomy.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Autonomy.Decisions;

/// <summary>The chat engine's calls (section <c>Autonomy:Chat</c>): where they may go and how long they may take.</summary>
public sealed class ChatEngineOptions
{
    public const string Section = "Autonomy:Chat";

    /// <summary>Lets a tenant's base URL reach loopback, link-local and private addresses (a model served on the same network, tests).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long one attempt may take. Unset: the total timeout (one long attempt; a retry only follows a quick failure).</summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary>
    /// How long a call may take, retries included; below Orleans' response timeout, since the call runs inside the
    /// account's decision run. Unset: 20 s, or half the response timeout when that is below 40 s (15 s by default).
    /// </summary>
    public TimeSpan? TotalTimeout { get; set; }

    /// <summary>Retries after a failed attempt (5xx, 408, 429, a broken connection); 0: none.</summary>
    public int MaxRetries { get; set; } = 1;

    /// <summary>How long a run waits before trying again when the engine failed and the tenant's fallback is to defer.</summary>
    public TimeSpan DeferAfterFailure { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most proposals one answer may carry; the rest are rejected (<c>TOO_MANY_PROPOSALS</c>).</summary>
    public int MaxProposals { get; set; } = 10;

    /// <summary>The largest answer read from the endpoint; a bigger one fails the call.</summary>
    public int MaxResponseBytes { get; set; } = 1024 * 1024;

    public void ApplyDefaults(TimeSpan responseTimeout)
    {
        TotalTimeout ??= TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(20).Ticks, responseTimeout.Ticks / 2));
        AttemptTimeout ??= TotalTimeout;
    }
}

/// <summary>Fails silo start unless a chat call ends before the grain call that waits for it times out.</summary>
public sealed class ChatEngineOptionsValidator(IOptions<SiloMessagingOptions> messaging) : IValidateOptions<ChatEngineOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        CallTimeouts.Check(ChatEngineOptions.Section, "an engine call", "00:00:15", options.AttemptTimeout, options.TotalTimeout, messaging.Value.ResponseTimeout, problems);

        if (options.MaxRetries is < 0 or > 5)
        {
            problems.Add("Autonomy:Chat:MaxRetries must be from 0 to 5.");
        }

        if (options.DeferAfterFailure <= TimeSpan.Zero)
        {
            problems.Add("Autonomy:Chat:DeferAfterFailure must be positive, e.g. 00:05:00.");
        }

        if (options.MaxProposals is < 1 or > 100)
        {
            problems.Add("Autonomy:Chat:MaxProposals must be from 1 to 100.");
        }

        if (options.MaxResponseBytes is < 1024 or > 16 * 1024 * 1024)
        {
            problems.Add("Autonomy:Chat:MaxResponseBytes must be from 1024 to 16777216.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

}

public static class ChatEngineRegistration
{
    /// <summary>
    /// The chat engine, its options and its named HTTP client: the webhook client's address rule at connect time
    /// (no private networks unless allowed, no redirects), one deadline and a capped body (<see cref="BoundedResponseHandler"/>),
    /// and the standard resilience pipeline per host, so one tenant's failing
    /// endpoint never opens the circuit for another's.
    /// </summary>
    public static IServiceCollection AddChatEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChatEngineOptions>()
            .Bind(configuration.GetSection(ChatEngineOptions.Section))
            .PostConfigure<IOptions<SiloMessagingOptions>>((chat, messaging) => chat.ApplyDefaults(messaging.Value.ResponseTimeout))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatEngineOptions>, ChatEngineOptionsValidator>());

        services.AddHttpClient(ChatEngine.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookClient.Handler(sp.GetRequiredService<IOptions<ChatEngineOptions>>().Value.AllowPrivateNetworks, logger: WebhookClient.Log(sp)))
            .AddHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptions<ChatEngineOptions>>();
                return new BoundedResponseHandler(() => options.Value.TotalTimeout!.Value, () => options.Value.MaxResponseBytes);
            })
            .AddStandardResilienceHandler()
            .SelectPipelineByAuthority()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
            {
                var options = sp.GetRequiredService<IOptions<ChatEngineOptions>>().Value;
                WebhookClient.Bound(resilience, options.AttemptTimeout!.Value, options.TotalTimeout!.Value, options.MaxRetries);

                // A retry must fit in the total: wait at most an eighth of it before the first.
                resilience.Retry.Delay = TimeSpan.FromTicks(Math.Min(resilience.Retry.Delay.Ticks, options.TotalTimeout.Value.Ticks / 8));
            });
        services.TryAddSingleton<ChatEngine>();
        services.TryAddSingleton<IMeteredEngine, MeteredChatEngine>();
        return services;
    }
}

using System.Globalization;
using Autonomy.Common;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Autonomy.Actions;

/// <summary>Webhook delivery (section <c>Autonomy:Webhooks</c>): where webhooks may point and how long a delivery may take.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Autonomy:Webhooks";

    /// <summary>Lets webhooks reach loopback, link-local and private addresses (tests, a receiver on the same network).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long one attempt may take. Unset: 5 s, or the total timeout when that is shorter.</summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary>
    /// How long a delivery may take, retries and their backoff included; below Orleans' response timeout. Unset:
    /// 15 s, or half the response timeout when that is below 30 s.
    /// </summary>
    public TimeSpan? TotalTimeout { get; set; }

    /// <summary>Retries after a failed attempt (5xx, 408, 429, a timeout or a broken connection).</summary>
    public int MaxRetries { get; set; } = 2;

    public static readonly TimeSpan DefaultSigningRotationWindow = TimeSpan.FromDays(1);

    /// <summary>How long a tenant's previous signing secret keeps signing beside a new one after a rotation (unless removed sooner).</summary>
    public TimeSpan SigningRotationWindow { get; set; } = DefaultSigningRotationWindow;

    /// <summary>The largest answer read from a webhook receiver; a bigger one fails the delivery.</summary>
    public int MaxResponseBytes { get; set; } = 64 * 1024;

    /// <summary>Fills the timeouts left unset, so a lowered response timeout lowers the defaults with it.</summary>
    public void ApplyDefaults(TimeSpan responseTimeout)
    {
        TotalTimeout ??= TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(15).Ticks, responseTimeout.Ticks / 2));
        AttemptTimeout ??= TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, TotalTimeout.Value.Ticks));
    }
}

/// <summary>
/// Fails silo start unless a webhook delivery ends before the grain call that waits for it times out
/// (<c>Autonomy:Webhooks:TotalTimeout</c> below <c>Orleans:Messaging:ResponseTimeout</c>), with a message naming both.
/// </summary>
public sealed class WebhookOptionsValidator(IOptions<SiloMessagingOptions> messaging) : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        CallTimeouts.Check(WebhookOptions.Section, "a webhook delivery", "00:00:05", options.AttemptTimeout, options.TotalTimeout, messaging.Value.ResponseTimeout, problems);

        if (options.MaxRetries is < 0 or > 10)
        {
            problems.Add("Autonomy:Webhooks:MaxRetries must be from 0 to 10.");
        }

        if (options.SigningRotationWindow < TimeSpan.Zero || options.SigningRotationWindow > TimeSpan.FromDays(30))
        {
            problems.Add("Autonomy:Webhooks:SigningRotationWindow must be from 00:00:00 to 30.00:00:00, e.g. 1.00:00:00.");
        }

        if (options.MaxResponseBytes is < 1024 or > 16 * 1024 * 1024)
        {
            problems.Add("Autonomy:Webhooks:MaxResponseBytes must be from 1024 to 16777216.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

}

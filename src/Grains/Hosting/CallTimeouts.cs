using System.Globalization;

namespace Autonomy.Common;

/// <summary>
/// The rules for an outbound call made inside a grain call (a webhook delivery, a chat engine call): each attempt
/// has a positive timeout, the whole call with its retries takes at least one attempt's time, and the whole call
/// ends before Orleans' response timeout, which would otherwise fail the grain call first.
/// </summary>
public static class CallTimeouts
{
    /// <summary>Adds a message naming the settings for every rule the timeouts break.</summary>
    /// <param name="section">The configuration section, e.g. <c>Autonomy:Webhooks</c>.</param>
    /// <param name="call">What runs inside the grain call, e.g. "a webhook delivery".</param>
    /// <param name="example">An example attempt timeout for the message, e.g. <c>00:00:05</c>.</param>
    public static void Check(string section, string call, string example, TimeSpan? attemptTimeout, TimeSpan? totalTimeout, TimeSpan responseTimeout, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var attempt = attemptTimeout.GetValueOrDefault();
        var total = totalTimeout.GetValueOrDefault();
        if (attempt <= TimeSpan.Zero)
        {
            problems.Add($"{section}:AttemptTimeout must be positive, e.g. {example}.");
        }

        if (total < attempt)
        {
            problems.Add(Invariant($"{section}:TotalTimeout ({total}) must be at least {section}:AttemptTimeout ({attempt})."));
        }

        if (total >= responseTimeout)
        {
            problems.Add(Invariant(
                $"{section}:TotalTimeout ({total}) must be below Orleans:Messaging:ResponseTimeout ({responseTimeout}): {call} runs inside a grain call, which would time out first. Lower the one or raise the other."));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

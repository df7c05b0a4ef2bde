using System.Collections.Immutable;

namespace Autonomy.Triggers;

/// <summary>One allow-listed trigger type: how long to debounce, the most a run may wait, and its cooldown.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.TriggerType")]
public sealed record TriggerType(
    [property: Id(0)] string Type,
    [property: Id(1)] TimeSpan Debounce,
    [property: Id(2)] TimeSpan MaxWait,
    [property: Id(3)] TimeSpan Cooldown);

/// <summary>
/// The allow-listed trigger types and the hard cap on decision runs per account per hour. A signal whose
/// type is not registered still feeds heat but never starts a run.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.TriggerRegistry")]
public sealed record TriggerRegistry(
    [property: Id(0)] ImmutableDictionary<string, TriggerType> Types,
    [property: Id(1)] int MaxRunsPerAccountPerHour)
{
    public const string DailyBrief = "DAILY_BRIEF";
    public const string WeeklyReview = "WEEKLY_REVIEW";
    public const string RenewalRunway = "RENEWAL_RUNWAY";
    public const string LifecycleChanged = "LIFECYCLE_CHANGED";
    public const string PostureChanged = "POSTURE_CHANGED";

    /// <summary>
    /// The built-in types. The low-value ones (usage changes, website visits) wait an hour: a window of them alone is
    /// rarely worth a run (the cost gate parks it), and in that hour a high-value signal or a ritual on the account
    /// takes them along to a run that happens anyway.
    /// </summary>
    public static readonly TriggerRegistry Default = new(
        new[]
        {
            Signal("EMAIL_REPLY_RECEIVED", debounceSeconds: 30, maxWaitSeconds: 300, cooldownSeconds: 0),
            Signal("MEETING_COMPLETED", 30, 300, 0),
            Signal("MEETING_BOOKED", 30, 300, 0),
            Signal("RENEWAL_WINDOW_OPENED", 0, 60, 86_400),
            Signal("USAGE_DROPPED", 3_600, 3_600, 21_600),
            Signal("USAGE_SPIKE", 3_600, 3_600, 21_600),
            Signal("SUPPORT_TICKET_ESCALATED", 60, 600, 3_600),
            Signal("CHAMPION_LEFT", 0, 60, 86_400),
            Signal("WEBSITE_VISIT", 3_600, 3_600, 3_600),
            Signal(PostureChanged, 60, 600, 3_600),
            Signal(LifecycleChanged, 0, 60, 3_600),
            Signal(DailyBrief, 0, 0, 0),
            Signal(WeeklyReview, 0, 0, 0),
            Signal(RenewalRunway, 0, 0, 0),
        }.ToImmutableDictionary(t => t.Type, StringComparer.Ordinal),
        MaxRunsPerAccountPerHour: 6);

    /// <summary>The registry with a tenant's own trigger types added (or built-ins re-tuned).</summary>
    public TriggerRegistry With(IEnumerable<TriggerType> tenantTypes) =>
        this with { Types = Types.SetItems(tenantTypes.Select(t => KeyValuePair.Create(t.Type, t))) };

    public static TriggerType Signal(string type, int debounceSeconds, int maxWaitSeconds, int cooldownSeconds) =>
        new(type, TimeSpan.FromSeconds(debounceSeconds), TimeSpan.FromSeconds(Math.Max(debounceSeconds, maxWaitSeconds)), TimeSpan.FromSeconds(cooldownSeconds));
}

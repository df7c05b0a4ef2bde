using System.Text.Json.Nodes;
using Autonomy.Common;
using Autonomy.Ledger;
using Autonomy.Schedules;
using Autonomy.Triggers;

namespace Autonomy.Accounts;

/// <summary>
/// TRIGGER_SUPPRESSED: a signal or a ritual that did not start a run, and why. One record for every cause; the
/// fields a cause does not have stay null and are left out of the JSON, so each cause keeps the shape it was
/// always written in. Made by the factories, one per cause.
/// </summary>
public sealed record TriggerSuppressedPayload(
    string? SignalId, string? Type, string Reason, string? Explanation, string? Ritual, DateTimeOffset? HeldUntil, int? MaxRunsPerHour) : ILedgerPayload
{
    /// <summary>The account's runs of the last hour reached the cap: signals wait in the window until it frees.</summary>
    public static TriggerSuppressedPayload HourlyCap(DateTimeOffset? heldUntil, int maxRunsPerHour) =>
        new(null, null, "HOURLY_CAP", null, null, heldUntil, maxRunsPerHour);

    /// <summary>A ritual's run was not started: the hourly cap was reached.</summary>
    public static TriggerSuppressedPayload RitualAtHourlyCap(string ritual) =>
        new(null, null, "HOURLY_CAP", null, ritual, null, null);

    /// <summary>A change of the account (lifecycle, renewal date) offered as a trigger was not accepted.</summary>
    public static TriggerSuppressedPayload Change(string type, TriggerVerdict verdict, string? explanation) =>
        new(null, type, WireName.Of(verdict), explanation, null, null, null);

    /// <summary>An ingested signal was not accepted as a trigger (cooldown, unregistered type, ...).</summary>
    public static TriggerSuppressedPayload Signal(string signalId, string type, TriggerVerdict verdict, string? explanation) =>
        new(signalId, type, WireName.Of(verdict), explanation, null, null, null);

    string ILedgerPayload.EntryType => LedgerTypes.TriggerSuppressed;
}

/// <summary>SCHEDULE_TICK: a ritual occurrence the account handled, and what it did with it.</summary>
public sealed record ScheduleTickPayload(string Ritual, string Occurrence, DateTimeOffset ScheduledAt, TickDisposition Disposition, string Reason) : ILedgerPayload
{
    public static ScheduleTickPayload Of(RitualTick tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        return new(tick.Ritual, tick.OccurrenceKey, tick.ScheduledAt, tick.Disposition, tick.Reason);
    }

    string ILedgerPayload.EntryType => LedgerTypes.ScheduleTick;
}

/// <summary>What an upstream update can change on an account, as ACCOUNT_UPDATED records it before and after.</summary>
public sealed record AccountDescription(string? OwnerId, string? Lifecycle, JsonNode? Posture, DateOnly? RenewalDate);

/// <summary>ACCOUNT_UPDATED: the account's description before and after an upstream update.</summary>
public sealed record AccountUpdatedPayload(AccountDescription Before, AccountDescription After) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.AccountUpdated;
}

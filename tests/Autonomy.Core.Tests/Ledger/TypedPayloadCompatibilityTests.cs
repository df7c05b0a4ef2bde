using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Schedules;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Autonomy.Triggers;
using CsCheck;

namespace Autonomy.Tests.Ledger;

/// <summary>
/// The typed payloads that replaced anonymous objects write the bytes the anonymous objects wrote (the payload text
/// is hashed, and readers parse by name), and the entry type a payload carries never appears in its JSON.
/// </summary>
public sealed class TypedPayloadCompatibilityTests
{
    private static readonly Gen<string> Text = Gen.String[Gen.Char.AlphaNumeric, 0, 12];

    private static readonly Gen<KillSwitchView?> Switch =
        Gen.Select(Text, Gen.Bool, Text.Null(), Gen.Long[0, 1000]).Select(t => t.Item1.Length == 0
            ? null
            : new KillSwitchView(t.Item1, t.Item2, t.Item3, DateTimeOffset.UnixEpoch.AddSeconds(t.Item4), "alice", t.Item4));

    [Fact]
    public void ConfigChangedWritesWhatTheAnonymousChangeWrote() =>
        Gen.Select(Text, Gen.Long[1, long.MaxValue], Text.Null(), Gen.Int.Select(i => (int?)i)).Sample((kind, version, before, after) =>
            LedgerJson.Serialize(new { kind, version, before, after }) == LedgerJson.Serialize(new ConfigChangedPayload(kind, version, before, after)));

    [Fact]
    public void ASellersSettingsChangeHasNoVersionAsBefore() =>
        Gen.Select(Text, Gen.Bool).Sample((seller, enabled) =>
        {
            var before = DigestSettings.Default;
            var after = before with { Enabled = enabled };
            return LedgerJson.Serialize(new { kind = $"digest-settings:{seller}", before, after })
                == LedgerJson.Serialize(new ConfigChangedPayload($"digest-settings:{seller}", null, before, after));
        });

    [Fact]
    public void KillSwitchChangedWritesWhatTheAnonymousChangeWrote() =>
        Gen.Select(Text, Gen.Long[1, 1000], Switch, Switch).Sample((scope, version, before, after) =>
        {
            var view = after ?? new KillSwitchView(scope, true, null, null, null, version);
            return LedgerJson.Serialize(new { kind = $"kill-switch:{scope}", version, before, after = view })
                == LedgerJson.Serialize(new KillSwitchChangedPayload($"kill-switch:{scope}", version, before, view));
        });

    [Fact]
    public void PlaybookChangesWriteWhatTheAnonymousChangesWrote()
    {
        var playbook = new Playbook([new PlaybookRule("RENEWAL_WINDOW_OPENED", null, [])]);
        ImmutableArray<Autonomy.Triggers.TriggerType> triggers = [];

        Assert.Equal(LedgerJson.Serialize(new { Playbook = playbook, Triggers = triggers }), LedgerJson.Serialize(new PlaybookWithTriggers(playbook, triggers)));
        Assert.Equal(LedgerJson.Serialize(new { playbook, triggers }), LedgerJson.Serialize(new PlaybookWithTriggers(playbook, triggers)));
        Assert.Equal(LedgerJson.Serialize(new { playbook }), LedgerJson.Serialize(new PlaybookRules(playbook)));
    }

    [Fact]
    public void DigestEntriesWriteWhatTheAnonymousEntriesWrote() =>
        Gen.Select(Text, Gen.Bool, Gen.Int[0, 50], Gen.Int[0, 50]).Sample((seller, webhook, done, waiting) =>
        {
            var date = new DateOnly(2026, 12, 7);
            var delivering = LedgerJson.Serialize(new { sellerId = seller, Date = date, webhook, idempotencyKey = $"digest:{seller}" })
                == LedgerJson.Serialize(new DigestDeliveringPayload(seller, date, webhook, $"digest:{seller}"));
            var delivered = LedgerJson.Serialize(new
            {
                sellerId = seller,
                Date = date,
                channel = "webhook",
                delivered = webhook,
                detail = "ok",
                done,
                skipped = 1,
                waiting,
                AutonomousActions = done,
            }) == LedgerJson.Serialize(new DigestDeliveredPayload(seller, date, "webhook", webhook, "ok", done, 1, waiting, done));
            return delivering && delivered;
        });

    [Fact]
    public void EveryCauseOfASuppressionKeepsItsShape() =>
        Gen.Select(Text, Text, Gen.Enum<TriggerVerdict>(), Text.Null(), Gen.Int[1, 60]).Sample((signal, type, verdict, explanation, cap) =>
        {
            var heldUntil = DateTimeOffset.UnixEpoch.AddMinutes(cap);
            return LedgerJson.Serialize(new { reason = "HOURLY_CAP", heldUntil, maxRunsPerHour = cap }) == LedgerJson.Serialize(TriggerSuppressedPayload.HourlyCap(heldUntil, cap))
                && LedgerJson.Serialize(new { reason = "HOURLY_CAP", ritual = type }) == LedgerJson.Serialize(TriggerSuppressedPayload.RitualAtHourlyCap(type))
                && LedgerJson.Serialize(new { type, reason = verdict, Explanation = explanation }) == LedgerJson.Serialize(TriggerSuppressedPayload.Change(type, verdict, explanation))
                && LedgerJson.Serialize(new { signalId = signal, Type = type, reason = verdict, Explanation = explanation })
                    == LedgerJson.Serialize(TriggerSuppressedPayload.Signal(signal, type, verdict, explanation));
        });

    [Fact]
    public void AScheduleTickKeepsItsShape() =>
        Gen.Select(Text, Text, Gen.Enum<TickDisposition>(), Text).Sample((ritual, occurrence, disposition, reason) =>
        {
            var tick = new RitualTick(ritual, occurrence, DateTimeOffset.UnixEpoch, disposition, reason);
            return LedgerJson.Serialize(new { ritual = tick.Ritual, occurrence = tick.OccurrenceKey, tick.ScheduledAt, disposition = tick.Disposition, reason = tick.Reason })
                == LedgerJson.Serialize(ScheduleTickPayload.Of(tick));
        });

    [Fact]
    public void AnAccountUpdateKeepsItsShape() =>
        Gen.Select(Text.Null(), Text.Null(), Gen.Double[0, 1], Gen.Bool).Sample((owner, lifecycle, intent, renews) =>
        {
            var posture = (JsonNode?)JsonNode.Parse($$"""{"intent":{{intent.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""");
            DateOnly? renewal = renews ? new DateOnly(2027, 3, 1) : null;
            var anonymous = new
            {
                before = new { OwnerId = owner, Lifecycle = lifecycle, posture = (JsonNode?)null, RenewalDate = (DateOnly?)null },
                after = new { OwnerId = owner, Lifecycle = lifecycle, posture, RenewalDate = renewal },
            };
            var typed = new AccountUpdatedPayload(new AccountDescription(owner, lifecycle, null, null), new AccountDescription(owner, lifecycle, posture, renewal));
            return LedgerJson.Serialize(anonymous) == LedgerJson.Serialize(typed);
        });

    [Fact]
    public void ARevertStepIsItsEntryTypeAndNotPartOfItsPayload()
    {
        var switches = new Autonomy.Policy.KillSwitchState(false, false, []);

        ILedgerPayload requested = ActionRevertPayload.Requested("a-1", switches);
        ILedgerPayload reverted = ActionRevertPayload.Reverted("a-1", "internal", "undone");
        ILedgerPayload failed = ActionRevertPayload.Failed("a-1", "webhook", "503");

        Assert.Equal([LedgerTypes.ActionRevertRequested, LedgerTypes.ActionReverted, LedgerTypes.ActionRevertFailed], [requested.EntryType, reverted.EntryType, failed.EntryType]);
        Assert.Equal(LedgerJson.Serialize(new { actionId = "a-1", switches }), LedgerJson.Serialize(requested));
        Assert.Equal(LedgerJson.Serialize(new { actionId = "a-1", executor = "webhook", detail = "503" }), LedgerJson.Serialize(failed));
    }

    [Fact]
    public void AnExecutionIsExecutedOnlyWhenTheActionRanAndSucceeded()
    {
        ILedgerPayload nothingRan = new ActionResultPayload("a-1", null, null, "a-1", true, "interrupted");

        Assert.Equal(LedgerTypes.ActionFailed, nothingRan.EntryType);
    }

    [Fact]
    public void TheEntryTypeIsNeverPartOfThePayload()
    {
        ILedgerPayload payload = new ConfigChangedPayload("budget", 3, null, 5);

        Assert.Equal(LedgerTypes.ConfigChanged, payload.EntryType);
        Assert.DoesNotContain("entryType", LedgerJson.Serialize(payload), StringComparison.OrdinalIgnoreCase);
    }
}

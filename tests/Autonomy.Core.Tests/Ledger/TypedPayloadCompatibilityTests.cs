using System.Collections.Immutable;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Sellers;
using Autonomy.Tenants;
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
                sellerId = seller, Date = date, channel = "webhook", delivered = webhook, detail = "ok", done, skipped = 1, waiting, AutonomousActions = done,
            }) == LedgerJson.Serialize(new DigestDeliveredPayload(seller, date, "webhook", webhook, "ok", done, 1, waiting, done));
            return delivering && delivered;
        });

    [Fact]
    public void TheEntryTypeIsNeverPartOfThePayload()
    {
        ILedgerPayload payload = new ConfigChangedPayload("budget", 3, null, 5);

        Assert.Equal(LedgerTypes.ConfigChanged, payload.EntryType);
        Assert.DoesNotContain("entryType", LedgerJson.Serialize(payload), StringComparison.OrdinalIgnoreCase);
    }
}

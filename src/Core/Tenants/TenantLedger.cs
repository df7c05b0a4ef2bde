using System.Collections.Immutable;
using Autonomy.Connectors;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Triggers;

namespace Autonomy.Tenants;

/// <summary>
/// CONFIG_CHANGED: who changed which setting (<paramref name="Kind"/>, e.g. <c>playbook</c>, <c>trigger:X</c>,
/// <c>digest-settings:seller</c>), the tenant's configuration version it made (none for a seller's own settings),
/// and the setting before and after. Before and after are serialized by their runtime type.
/// </summary>
public sealed record ConfigChangedPayload(string Kind, long? Version, object? Before, object? After) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.ConfigChanged;
}

/// <summary>KILL_SWITCH_CHANGED: a kill switch (<c>kill-switch:platform</c>, <c>kill-switch:all</c>, ...) before and after.</summary>
public sealed record KillSwitchChangedPayload(string Kind, long Version, KillSwitchView? Before, KillSwitchView After) : ILedgerPayload
{
    string ILedgerPayload.EntryType => LedgerTypes.KillSwitchChanged;
}

/// <summary>The playbook and the tenant's trigger types, as a playbook change ledgers them.</summary>
public sealed record PlaybookWithTriggers(Playbook Playbook, ImmutableArray<TriggerType> Triggers);

/// <summary>The playbook alone, as a change of its rules ledgers it.</summary>
public sealed record PlaybookRules(Playbook Playbook);

/// <summary>A connector as a change ledgers it: its view (never the secret) and whether the secret was rotated.</summary>
public sealed record ConnectorChange(ConnectorView Connector, bool SecretChanged);

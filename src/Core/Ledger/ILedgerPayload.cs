namespace Autonomy.Ledger;

/// <summary>
/// The payload of a ledger entry: a record that knows the entry type it is written as, so a step cannot be
/// ledgered under the wrong type or with a shape its readers do not know. Implement <see cref="EntryType"/>
/// explicitly (<c>string ILedgerPayload.EntryType =&gt; LedgerTypes.X;</c>): an explicit member is not a public
/// property of the record, so it never appears in the stored JSON.
/// </summary>
public interface ILedgerPayload
{
    /// <summary>The entry type (<see cref="LedgerTypes"/>).</summary>
    string EntryType { get; }
}

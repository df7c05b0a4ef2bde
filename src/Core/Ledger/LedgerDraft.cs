namespace Autonomy.Ledger;

/// <summary>
/// An entry before its writer chains it: the step's type, its decision run (if any), who acted, and the
/// payload object that <see cref="LedgerJson"/> turns into the stored text.
/// </summary>
public sealed record LedgerDraft(string Type, string? RunId, string Actor, object Payload);

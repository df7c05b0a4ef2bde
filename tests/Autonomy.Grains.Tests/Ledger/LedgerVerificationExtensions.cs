using Autonomy.Ledger;

namespace Autonomy.Tests.Ledger;

internal static class LedgerVerificationExtensions
{
    /// <summary>The four fields verify answered before checkpoints (ok, entries, first broken entry, problem).</summary>
    public static LedgerVerification Chains(this LedgerVerification verification) =>
        new(verification.Ok, verification.Entries, verification.FirstBrokenEntryId, verification.Problem);
}

namespace Autonomy.Ledger;

/// <summary>
/// The ledger of the embedded mode: one SQLite file in WAL mode (<see cref="SqliteLedgerDialect"/>), created
/// with its schema (<c>deploy/sql/sqlite/ledger.sql</c>) on first use, or by <see cref="SqlLedger.InitializeAsync"/>.
/// </summary>
public sealed class SqliteLedger(string path, TimeProvider time, int maxBatchEntries = 4096)
    : SqlLedger(time ?? throw new ArgumentNullException(nameof(time)), new SqliteLedgerDialect(path), maxBatchEntries)
{
    /// <summary>The ledger file.</summary>
    public string Path { get; } = path;
}

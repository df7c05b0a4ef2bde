namespace Autonomy.Ledger;

/// <summary>
/// The ledger of the cluster mode: the <c>ledger_entries</c> table of a PostgreSQL database shared by every
/// silo (<see cref="PostgresLedgerDialect"/>; the schema is applied by <see cref="Hosting.PostgresSchema"/>
/// before use, and a missing one is a <see cref="LedgerUnavailableException"/> naming the script). Connections
/// come from a pool of the ledger's own, <see cref="PostgresLedgerDialect.DefaultMaxPoolSize"/> unless the
/// connection string sets another Maximum Pool Size.
/// </summary>
public sealed class PostgresLedger(string connectionString, TimeProvider time, int maxBatchEntries = 4096)
    : SqlLedger(time ?? throw new ArgumentNullException(nameof(time)), new PostgresLedgerDialect(connectionString), maxBatchEntries);

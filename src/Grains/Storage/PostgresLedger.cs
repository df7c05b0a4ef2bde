namespace Autonomy.Ledger;

/// <summary>
/// The ledger of the cluster mode: the <c>ledger_entries</c> table of a PostgreSQL database shared by every
/// silo (<see cref="PostgresLedgerDialect"/>; the schema is applied by <see cref="Hosting.PostgresSchema"/>
/// before use, and a missing one is a <see cref="LedgerUnavailableException"/> naming the script). Connections
/// come from a pool of the ledger's own, <see cref="PostgresLedgerDialect.DefaultMaxPoolSize"/> unless the
/// connection string sets another Maximum Pool Size; long reads (export, verify, calibration datasets) from a second
/// pool, of <paramref name="longReadConnectionString"/> when given, else of the same database with
/// <see cref="PostgresLedgerDialect.DefaultLongReadPoolSize"/> connections.
/// </summary>
public sealed class PostgresLedger(string connectionString, TimeProvider time, int maxBatchEntries = 4096, string? longReadConnectionString = null)
    : SqlLedger(time ?? throw new ArgumentNullException(nameof(time)), new PostgresLedgerDialect(connectionString, longReadConnectionString), maxBatchEntries);

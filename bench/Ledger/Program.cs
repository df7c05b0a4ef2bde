using System.Globalization;
using Autonomy.Bench.Ledger;

// Ledger group commit against the raw store's insert ceiling, per store, in alternating rounds of one run:
//   group    --appenders callers, one stream each, append --per-append chained entries at a time and await each
//            append (as a grain's LedgerBatch.FlushAsync does) through the ledger the silo uses (SqliteLedger or
//            PostgresLedger: group committer, one writer connection);
//   ceiling  the same number of rows of the same shape, into the same table of the same file or database, by one
//            loop of plain batched inserts (--ceiling-batch rows per transaction: a prepared INSERT per row on
//            SQLite, one binary COPY on PostgreSQL), with nothing else in the way.
// Rows are built and hashed before a round starts, for both, so neither pays for hashing (the committer does none).
//   [--stores sqlite,postgres] [--rounds 3] [--entries 20000] [--appenders 64,512] [--per-append 1] [--payload 400]
//   [--ceiling-batch 4096] [--json out.json] [--md out.md]
// --ceiling-batch may list more sizes (4096,64): the ratio is against the first; the others show what the store does
// with transactions as small as the committer's, and so how much of the gap is the store's cost per transaction.
// --mode checkpoint instead times one ledger checkpoint pass as a tenant grows (CheckpointRun; bench/checkpoint.sh).
// PostgreSQL: a throw-away database on AUTONOMY_TEST_POSTGRES (or the local development server), dropped at the end.
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
string Get(string name, string fallback) => options.TryGetValue(name, out var v) ? v : fallback;
int GetInt(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

if (Get("mode", "commit") == "checkpoint")
{
    // The checkpoint writer's pass as the tenant grows: --streams 100000,1000000 --changed 1000 --new 0 --rounds 3.
    var checkpoint = new CheckpointSettings(
        Store: Get("stores", "sqlite"),
        Streams: Get("streams", "100000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
        Changed: GetInt("changed", 1000),
        NewStreams: GetInt("new", 0),
        Rounds: GetInt("rounds", 3),
        FillChunk: GetInt("fill-chunk", 100000));
    var passes = await CheckpointRun.RunAsync(checkpoint);
    await CheckpointReport.WriteAsync(checkpoint, passes, Get("json", ""), Get("md", ""));
    return 0;
}

var settings = new LedgerSettings(
    Stores: Get("stores", "sqlite,postgres").Split(',', StringSplitOptions.RemoveEmptyEntries),
    Rounds: GetInt("rounds", 3),
    Entries: GetInt("entries", 20000),
    Appenders: Get("appenders", "64,512").Split(',').Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray(),
    PerAppend: GetInt("per-append", 1),
    PayloadBytes: GetInt("payload", 400),
    CeilingBatches: Get("ceiling-batch", "4096").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray());

var results = new List<StoreResult>();
foreach (var store in settings.Stores)
{
    results.Add(await LedgerRun.RunAsync(store, settings));
}

await LedgerReport.WriteAsync(settings, results, Get("json", ""), Get("md", ""));
return results.All(r => r.Rounds.Count > 0) ? 0 : 1;

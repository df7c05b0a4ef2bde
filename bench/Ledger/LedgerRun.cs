using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Autonomy.Hosting;
using Autonomy.Ledger;
using Autonomy.Tests.Support;

namespace Autonomy.Bench.Ledger;

internal sealed record LedgerSettings(IReadOnlyList<string> Stores, int Rounds, int Entries, IReadOnlyList<int> Appenders, int PerAppend, int PayloadBytes, IReadOnlyList<int> CeilingBatches);

/// <summary>One measured round of one target: entries/s, latency per append (group) or per batch (ceiling), mean transaction size.</summary>
internal sealed record RoundResult(
    string Store, string Target, int Appenders, int Batch, int Round, int Entries, double Seconds, double EntriesPerSecond, double P50Ms, double P99Ms, double MaxMs,
    double MeanBatch, string LoadAverage);

internal sealed record StoreResult(string Store, IReadOnlyList<RoundResult> Rounds);

internal static class LedgerRun
{
    private const string Tenant = "bench";

    public static async Task<StoreResult> RunAsync(string store, LedgerSettings settings)
    {
        await using var target = await StoreTarget.OpenAsync(store);
        using var batches = new BatchSizes();

        // A short warm-up of each path (JIT, connections, the schema's pages), not recorded.
        var warm = Math.Min(2000, settings.Entries);
        await GroupAsync(target, settings, Rows("warm-g", warm, settings.Appenders[0], settings), batches);
        await CeilingAsync(target, settings.CeilingBatches[0], Rows("warm-c", warm, settings.Appenders[0], settings));

        var rounds = new List<RoundResult>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            // Alternate which goes first, so neither always meets the bigger table or the warmer cache. The ceiling's
            // rows come from as many streams as the first group's; its batches do not depend on them.
            var kinds = settings.Appenders.Select(a => ("group", a)).Concat(settings.CeilingBatches.Select(b => ("ceiling", b))).ToList();
            if (round % 2 == 0)
            {
                kinds.Reverse();
            }

            foreach (var (kind, size) in kinds)
            {
                var rows = Rows($"r{round}-{kind}-{size}", settings.Entries, kind == "group" ? size : settings.Appenders[0], settings);
                var result = kind == "group"
                    ? await GroupAsync(target, settings, rows, batches)
                    : await CeilingAsync(target, size, rows);
                var done = result with { Store = store, Round = round, Appenders = kind == "group" ? size : 0, Batch = kind == "group" ? 0 : size };
                rounds.Add(done);
                var label = kind == "group" ? $"group x{size}" : $"ceiling /{size}";
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{store} round {round} {label,-10}: {done.EntriesPerSecond,9:N0} entries/s  p50 {done.P50Ms:0.00} ms  p99 {done.P99Ms:0.00} ms  max {done.MaxMs:0.0} ms  mean transaction {done.MeanBatch:0.0} entries  load {done.LoadAverage}"));
            }
        }

        return new StoreResult(store, rounds);
    }

    /// <summary>
    /// The rows of one round: <paramref name="count"/> entries over the appenders' streams (account streams, so the
    /// store derives an account id as it does for real), each stream chained from genesis, hashed now.
    /// </summary>
    internal static LedgerEntry[][] Rows(string tag, int count, int appenders, LedgerSettings settings)
    {
        var payload = "{\"note\":\"" + new string('x', Math.Max(0, settings.PayloadBytes - 11)) + "\"}";
        var perStream = (count + appenders - 1) / appenders;
        var streams = new LedgerEntry[appenders][];
        var at = DateTimeOffset.UtcNow;
        var left = count;
        for (var a = 0; a < appenders; a++)
        {
            var n = Math.Min(perStream, left);
            left -= n;
            var streamId = LedgerStreamIds.ForAccount(Tenant, $"{tag}-{a}");
            var entries = new LedgerEntry[n];
            var prev = LedgerHash.Genesis;
            for (var i = 0; i < n; i++)
            {
                // Time moves on as it does for a writer (ten entries a millisecond, in the order the appenders
                // interleave), so entry ids, which start with the time, arrive in order as they do in the product.
                var entryAt = at.AddTicks((((long)i * appenders) + a) * (TimeSpan.TicksPerMillisecond / 10));
                var entryId = LedgerEntryIds.New(entryAt);
                var runId = $"run-{tag}-{a}-{i / 4}";
                var hash = LedgerHash.Compute(entryId, Tenant, streamId, i + 1, runId, "SIGNAL_INGESTED", entryAt, "system", payload, prev);
                entries[i] = new LedgerEntry(entryId, Tenant, streamId, i + 1, runId, "SIGNAL_INGESTED", entryAt, "system", payload, prev, hash);
                prev = hash;
            }

            streams[a] = entries;
        }

        return streams;
    }

    private static async Task<RoundResult> GroupAsync(StoreTarget target, LedgerSettings settings, LedgerEntry[][] streams, BatchSizes batches)
    {
        batches.Reset();
        var latencies = new List<double>[streams.Length];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(streams.Select((entries, a) => Task.Run(async () =>
        {
            var mine = latencies[a] = new List<double>((entries.Length / settings.PerAppend) + 1);
            for (var i = 0; i < entries.Length; i += settings.PerAppend)
            {
                var chunk = new ArraySegment<LedgerEntry>(entries, i, Math.Min(settings.PerAppend, entries.Length - i));
                var started = Stopwatch.GetTimestamp();
                await target.Ledger.AppendAsync(chunk);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        var seconds = watch.Elapsed.TotalSeconds;
        return Result("group", streams.Sum(s => s.Length), seconds, latencies.SelectMany(l => l), batches.Mean);
    }

    private static async Task<RoundResult> CeilingAsync(StoreTarget target, int batch, LedgerEntry[][] streams)
    {
        // The same rows in the order concurrent appenders would interleave them: stream by stream, round robin.
        var rows = Interleave(streams);
        var latencies = new List<double>();
        var watch = Stopwatch.StartNew();
        foreach (var chunk in rows.Chunk(batch))
        {
            var started = Stopwatch.GetTimestamp();
            await target.Raw.InsertAsync(chunk);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var seconds = watch.Elapsed.TotalSeconds;
        return Result("ceiling", rows.Count, seconds, latencies, Math.Min(batch, rows.Count));
    }

    private static List<LedgerEntry> Interleave(LedgerEntry[][] streams)
    {
        var rows = new List<LedgerEntry>(streams.Sum(s => s.Length));
        for (var i = 0; rows.Count < rows.Capacity; i++)
        {
            foreach (var stream in streams)
            {
                if (i < stream.Length)
                {
                    rows.Add(stream[i]);
                }
            }
        }

        return rows;
    }

    private static RoundResult Result(string target, int entries, double seconds, IEnumerable<double> latencies, double meanBatch)
    {
        var sorted = latencies.Order().ToArray();
        double P(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        return new RoundResult("", target, 0, 0, 0, entries, seconds, entries / seconds, P(0.5), P(0.99), sorted.Length == 0 ? double.NaN : sorted[^1], meanBatch, LoadAverage());
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "";

    /// <summary>The committer's transaction sizes, from its own histogram (autonomy.ledger.batch_size).</summary>
    private sealed class BatchSizes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _sum;
        private long _count;

        public BatchSizes()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == LedgerMetrics.MeterName && instrument.Name == "autonomy.ledger.batch_size")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
            {
                Interlocked.Add(ref _sum, value);
                Interlocked.Increment(ref _count);
            });
            _listener.Start();
        }

        public double Mean => Interlocked.Read(ref _count) == 0 ? double.NaN : (double)Interlocked.Read(ref _sum) / Interlocked.Read(ref _count);

        public void Reset()
        {
            Interlocked.Exchange(ref _sum, 0);
            Interlocked.Exchange(ref _count, 0);
        }

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>One store: the ledger the silo would use over it, and a raw insert into the same table.</summary>
internal sealed class StoreTarget : IAsyncDisposable
{
    private readonly Func<ValueTask> _cleanUp;

    private StoreTarget(SqlLedger ledger, IRawInsert raw, Func<ValueTask> cleanUp)
    {
        Ledger = ledger;
        Raw = raw;
        _cleanUp = cleanUp;
    }

    public SqlLedger Ledger { get; }

    public IRawInsert Raw { get; }

    public static async Task<StoreTarget> OpenAsync(string store)
    {
        switch (store)
        {
            case "sqlite":
                {
                    var directory = Directory.CreateTempSubdirectory("autonomy-ledger-bench-").FullName;
                    var path = Path.Combine(directory, "ledger.db");
                    var ledger = new SqliteLedger(path, TimeProvider.System);
                    await ledger.InitializeAsync();
                    var raw = new SqliteRawInsert(path);
                    return new StoreTarget(ledger, raw, async () =>
                    {
                        await raw.DisposeAsync();
                        await ledger.DisposeAsync();
                        Directory.Delete(directory, recursive: true);
                    });
                }

            case "postgres":
                {
                    var database = await PostgresDatabase.CreateAsync();
                    await PostgresSchema.ApplyAsync(database.ConnectionString);
                    var ledger = new PostgresLedger(database.ConnectionString, TimeProvider.System);
                    await ledger.InitializeAsync();
                    var raw = await PostgresRawInsert.OpenAsync(database.ConnectionString);
                    return new StoreTarget(ledger, raw, async () =>
                    {
                        await raw.DisposeAsync();
                        await ledger.DisposeAsync();
                        await database.DisposeAsync();
                    });
                }

            default:
                throw new ArgumentException($"Unknown store '{store}': sqlite or postgres.", nameof(store));
        }
    }

    public ValueTask DisposeAsync() => _cleanUp();
}

using System.Diagnostics;
using System.Globalization;
using Autonomy.Ledger;

namespace Autonomy.Bench.Ledger;

internal sealed record CheckpointSettings(string Store, IReadOnlyList<int> Streams, int Changed, int NewStreams, int Rounds, int FillChunk);

/// <summary>
/// One steady-state checkpoint pass of one round: <c>pass</c> is <see cref="LedgerCheckpointWriter.WriteAsync"/>
/// (changed heads, the walk over every recorded head, the hashes at the recorded seqs, the signed append); <c>read</c>
/// only enumerates the recorded heads from the store; <c>walk</c> is <see cref="LedgerRecordedHeads.PassAsync"/> over
/// them (the read, both Merkle roots). Wall time, the process's CPU time and its allocations during each.
/// </summary>
internal sealed record CheckpointRound(
    string Store, int Size, int Streams, int Changed, int NewStreams, int Round, double PassMs, double PassCpuMs, double PassAllocatedMb, double ReadMs, double ReadCpuMs,
    double ReadAllocatedMb, double WalkMs, double WalkCpuMs, double WalkAllocatedMb, long CheckpointHeads, long StreamCount, string LoadAverage);

/// <summary>
/// The checkpoint writer's steady-state cost as a tenant grows: fills one tenant with streams of one entry each (raw
/// inserts, checkpointed every <see cref="CheckpointSettings.FillChunk"/> streams as a writer would have), then per
/// round appends one entry to <see cref="CheckpointSettings.Changed"/> existing streams (and starts
/// <see cref="CheckpointSettings.NewStreams"/> new ones) through the ledger and times the next checkpoint.
/// </summary>
internal static class CheckpointRun
{
    private const string Tenant = "bench";
    private const string Payload = "{\"note\":\"checkpoint bench\"}";

    public static async Task<List<CheckpointRound>> RunAsync(CheckpointSettings settings)
    {
        await using var target = await StoreTarget.OpenAsync(settings.Store);
        var keys = new LedgerCheckpointKeyring([LedgerCheckpointEcdsaKey.Generate()]);
        var writer = new LedgerCheckpointWriter(target.Ledger, keys, TimeProvider.System, Tenant);
        var results = new List<CheckpointRound>();
        var filled = 0;
        var fresh = 0;
        var random = new Random(17);
        foreach (var size in settings.Streams.Order())
        {
            var fill = Stopwatch.StartNew();
            while (filled < size)
            {
                var chunk = Math.Min(settings.FillChunk, size - filled);
                foreach (var batch in Enumerable.Range(filled, chunk).Chunk(4096))
                {
                    await target.Raw.InsertAsync(batch.Select(i => First(StreamId(i), DateTimeOffset.UtcNow)).ToList());
                }

                filled += chunk;
                var outcome = await writer.WriteAsync(null);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{settings.Store} fill: {filled:N0} streams, checkpoint {outcome.Written?.Seq} of {outcome.Written?.Heads.Length:N0} heads, {fill.Elapsed.TotalSeconds:0.0} s"));
            }

            for (var round = 1; round <= settings.Rounds; round++)
            {
                var changed = Enumerable.Range(0, settings.Changed).Select(_ => random.Next(filled)).Distinct().Select(StreamId)
                    .Concat(Enumerable.Range(0, settings.NewStreams).Select(_ => $"{StreamId(0)}-new-{fresh++}")).ToList();
                await AppendNextAsync(target.Ledger, changed);

                var (outcome, passMs, passCpu, passMb) = await MeasureAsync(() => writer.WriteAsync(null));
                var (_, readMs, readCpu, readMb) = await MeasureAsync(async () =>
                {
                    var n = 0;
                    await foreach (var _ in target.Ledger.ReadRecordedHeadsAsync(Tenant))
                    {
                        n++;
                    }

                    return n;
                });
                var (_, walkMs, walkCpu, walkMb) = await MeasureAsync(() => LedgerRecordedHeads.PassAsync(target.Ledger.ReadRecordedHeadsAsync(Tenant), []));
                var result = new CheckpointRound(settings.Store, size, filled + fresh, changed.Count - settings.NewStreams, settings.NewStreams, round, passMs, passCpu, passMb,
                    readMs, readCpu, readMb, walkMs, walkCpu, walkMb, outcome.Written?.Heads.Length ?? 0, outcome.Written?.StreamCount ?? 0, LedgerRun.LoadAverage());
                results.Add(result);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{settings.Store} {result.Streams:N0} streams round {round}: pass {passMs:N0} ms, cpu {passCpu:N0} ms ({passMb:N0} MB allocated; {result.CheckpointHeads:N0} heads), read {readMs:N0}/{readCpu:N0} cpu ms ({readMb:N0} MB), walk {walkMs:N0}/{walkCpu:N0} cpu ms ({walkMb:N0} MB)  load {result.LoadAverage}"));
                if (outcome.Written is null)
                {
                    throw new InvalidOperationException($"No checkpoint written: {outcome.Refused}");
                }
            }
        }

        return results;
    }

    private static string StreamId(int i) => LedgerStreamIds.ForAccount(Tenant, $"acct-{i:D7}");

    private static LedgerEntry First(string streamId, DateTimeOffset at) => Next(streamId, 1, LedgerHash.Genesis, at);

    private static LedgerEntry Next(string streamId, long seq, string prev, DateTimeOffset at)
    {
        var entryId = LedgerEntryIds.New(at);
        var hash = LedgerHash.Compute(entryId, Tenant, streamId, seq, null, "SIGNAL_INGESTED", at, "system", Payload, prev);
        return new LedgerEntry(entryId, Tenant, streamId, seq, null, "SIGNAL_INGESTED", at, "system", Payload, prev, hash);
    }

    /// <summary>One more entry on each stream, through the ledger the silo uses.</summary>
    private static async Task AppendNextAsync(SqlLedger ledger, IReadOnlyList<string> streams)
    {
        var entries = new List<LedgerEntry>(streams.Count);
        foreach (var stream in streams)
        {
            var head = await ledger.ReadHeadAsync(stream);
            entries.Add(Next(stream, (head?.Seq ?? 0) + 1, head?.Hash ?? LedgerHash.Genesis, DateTimeOffset.UtcNow));
        }

        foreach (var chunk in entries.Chunk(512))
        {
            await ledger.AppendAsync(chunk);
        }
    }

    /// <summary>Wall time, the process's CPU time (what a shared, loaded machine distorts least) and allocations.</summary>
    private static async Task<(T Value, double Ms, double CpuMs, double AllocatedMb)> MeasureAsync<T>(Func<Task<T>> action)
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Environment.CpuUsage.TotalTime;
        var started = Stopwatch.GetTimestamp();
        var value = await action();
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return (value, ms, (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds, (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6);
    }
}

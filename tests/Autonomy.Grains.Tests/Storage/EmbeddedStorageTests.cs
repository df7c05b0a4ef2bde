using Autonomy.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace Autonomy.Tests.Storage;

public sealed class EmbeddedStorageTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task GrainStateSurvivesClusterRestart()
    {
        await using (var cluster = await EmbeddedCluster.StartAsync(_directory.Path))
        {
            await cluster.Client.GetGrain<IStorageProbeGrain>("restart").SetValueAsync("kept");
            await cluster.StopAllSilosAsync();
        }

        Assert.True(File.Exists(System.IO.Path.Combine(_directory.Path, "grains.db")));
        await using var restarted = await EmbeddedCluster.StartAsync(_directory.Path);
        var state = await restarted.Client.GetGrain<IStorageProbeGrain>("restart").GetStateAsync();
        Assert.Equal("kept", state.Value);
    }

    [Fact]
    public async Task GrainWriteAfterAnotherWriterRaisesInconsistentStateException()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(_directory.Path);
        var grain = cluster.Client.GetGrain<IStorageProbeGrain>("contended");
        await grain.SetValueAsync("first");

        // Another writer (a second activation, in a split brain) moves the stored version on.
        var storage = Storage(cluster);
        var stored = new GrainState<ProbeState>();
        await storage.ReadStateAsync(StorageProbeGrain.StateName, grain.GetGrainId(), stored);
        stored.State = stored.State! with { Value = "other writer" };
        await storage.WriteStateAsync(StorageProbeGrain.StateName, grain.GetGrainId(), stored);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.SetValueAsync("stale"));
    }

    [Fact]
    public async Task StorageAcceptsOnlyTheCurrentVersion()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(_directory.Path);
        var storage = Storage(cluster);
        var grainId = GrainId.Create("autonomy.tests.versions", "1");

        var state = new GrainState<ProbeState> { State = new ProbeState { Value = "v1" } };
        await storage.WriteStateAsync("s", grainId, state);
        var first = state.ETag;
        await storage.WriteStateAsync("s", grainId, state);
        Assert.NotEqual(first, state.ETag);

        // A write from the old version, and a first write while a row exists, both lose.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", grainId, Copy(state, first)));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", grainId, Copy(state, null)));

        // Clearing keeps counting versions, so the cleared ETag writes and the one before it does not.
        var beforeClear = state.ETag;
        await storage.ClearStateAsync("s", grainId, state);
        var read = new GrainState<ProbeState>();
        await storage.ReadStateAsync("s", grainId, read);
        Assert.False(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", grainId, Copy(state, beforeClear)));
        state.State = new ProbeState { Value = "v2" };
        await storage.WriteStateAsync("s", grainId, state);

        await storage.ReadStateAsync("s", grainId, read);
        Assert.True(read.RecordExists);
        Assert.Equal("v2", read.State?.Value);
        Assert.Equal(state.ETag, read.ETag);
    }

    [Fact]
    public async Task ReminderSurvivesClusterRestartAndFiresAfterIt()
    {
        await using (var cluster = await EmbeddedCluster.StartAsync(_directory.Path))
        {
            await cluster.Client.GetGrain<IStorageProbeGrain>("ticking")
                .StartTickingAsync(dueTime: TimeSpan.FromSeconds(2), period: TimeSpan.FromSeconds(1));
            await cluster.StopAllSilosAsync();
        }

        Assert.True(File.Exists(System.IO.Path.Combine(_directory.Path, "reminders.db")));
        // Nothing registers the reminder in the new cluster: a tick there can only come from reminders.db.
        await using var restarted = await EmbeddedCluster.StartAsync(_directory.Path);
        var grain = restarted.Client.GetGrain<IStorageProbeGrain>("ticking");
        var ticksAtRestart = (await grain.GetStateAsync()).Ticks;
        await Eventually.UntilAsync(
            async () => (await grain.GetStateAsync()).Ticks > ticksAtRestart,
            Patience,
            "the reminder ticks in the restarted cluster");
    }

    private static IGrainStorage Storage(Orleans.TestingHost.InProcessTestCluster cluster) =>
        cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(EmbeddedStorage.GrainStorageName);

    private static GrainState<ProbeState> Copy(GrainState<ProbeState> state, string? etag) =>
        new() { State = state.State, ETag = etag, RecordExists = etag is not null };
}

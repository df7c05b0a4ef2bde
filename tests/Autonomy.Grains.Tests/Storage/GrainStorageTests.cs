using Autonomy.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Autonomy.Tests.Storage;

/// <summary>
/// What grain storage keeps on every store, tested once per store: each store's test class derives from this one
/// and says how to start a cluster on a fresh store of its own.
/// </summary>
public abstract class GrainStorageTests : IAsyncLifetime
{
    /// <summary>Makes this test's store (a database, a directory).</summary>
    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A cluster on this test's store; every call starts one on the same store.</summary>
    protected abstract Task<InProcessTestCluster> StartClusterAsync();

    [Fact]
    public async Task GrainWriteAfterAnotherWriterRaisesInconsistentStateException()
    {
        await using var cluster = await StartClusterAsync();
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
        await using var cluster = await StartClusterAsync();
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
        Assert.Equal(("v2", state.ETag), (read.State?.Value, read.ETag));
    }

    /// <summary>The grain storage ("autonomy") of the cluster's first silo.</summary>
    protected static IGrainStorage Storage(InProcessTestCluster cluster) =>
        cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(EmbeddedStorage.GrainStorageName);

    private static GrainState<ProbeState> Copy(GrainState<ProbeState> state, string? etag) =>
        new() { State = state.State, ETag = etag, RecordExists = etag is not null };
}

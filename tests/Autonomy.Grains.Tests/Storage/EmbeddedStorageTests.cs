using Orleans.TestingHost;

namespace Autonomy.Tests.Storage;

/// <summary>The grain storage rules on the embedded SQLite files of a data directory, and what survives a restart on them.</summary>
public sealed class EmbeddedStorageTests : GrainStorageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory = new();

    public override Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    protected override Task<InProcessTestCluster> StartClusterAsync() => EmbeddedCluster.StartAsync(_directory.Path);

    [Fact]
    public async Task GrainStateSurvivesClusterRestart()
    {
        await using (var cluster = await StartClusterAsync())
        {
            await cluster.Client.GetGrain<IStorageProbeGrain>("restart").SetValueAsync("kept");
            await cluster.StopAllSilosAsync();
        }

        Assert.True(File.Exists(System.IO.Path.Combine(_directory.Path, "grains.db")));
        await using var restarted = await StartClusterAsync();
        var state = await restarted.Client.GetGrain<IStorageProbeGrain>("restart").GetStateAsync();
        Assert.Equal("kept", state.Value);
    }

    [Fact]
    public async Task ReminderSurvivesClusterRestartAndFiresAfterIt()
    {
        await using (var cluster = await StartClusterAsync())
        {
            await cluster.Client.GetGrain<IStorageProbeGrain>("ticking")
                .StartTickingAsync(dueTime: TimeSpan.FromSeconds(2), period: TimeSpan.FromSeconds(1));
            await cluster.StopAllSilosAsync();
        }

        Assert.True(File.Exists(System.IO.Path.Combine(_directory.Path, "reminders.db")));
        // Nothing registers the reminder in the new cluster: a tick there can only come from reminders.db.
        await using var restarted = await StartClusterAsync();
        var grain = restarted.Client.GetGrain<IStorageProbeGrain>("ticking");
        var ticksAtRestart = (await grain.GetStateAsync()).Ticks;
        await Eventually.UntilAsync(
            async () => (await grain.GetStateAsync()).Ticks > ticksAtRestart,
            Patience,
            "the reminder ticks in the restarted cluster");
    }
}

using Orleans.Runtime;

namespace Autonomy.Tests.Storage;

/// <summary>A grain that keeps a value and counts reminder ticks in the "autonomy" storage.</summary>
[Alias("autonomy.tests.IStorageProbeGrain")]
public interface IStorageProbeGrain : IGrainWithStringKey
{
    /// <summary>Stores a value and writes the state.</summary>
    [Alias("SetValueAsync")]
    Task SetValueAsync(string value);

    /// <summary>Returns the state as this activation holds it.</summary>
    [Alias("GetStateAsync")]
    Task<ProbeState> GetStateAsync();

    /// <summary>Registers the "tick" reminder; every tick adds one to the stored tick count.</summary>
    [Alias("StartTickingAsync")]
    Task StartTickingAsync(TimeSpan dueTime, TimeSpan period);
}

[GenerateSerializer, Immutable, Alias("autonomy.tests.ProbeState")]
public sealed record ProbeState
{
    [Id(0)] public string? Value { get; init; }

    [Id(1)] public int Ticks { get; init; }
}

[GrainType("autonomy.tests.storage-probe")]
public sealed class StorageProbeGrain(
    [PersistentState(StorageProbeGrain.StateName, "autonomy")] IPersistentState<ProbeState> state)
    : Grain, IStorageProbeGrain, IRemindable
{
    public const string StateName = "s";

    public async Task SetValueAsync(string value)
    {
        state.State = state.State with { Value = value };
        await state.WriteStateAsync();
    }

    public Task<ProbeState> GetStateAsync() => Task.FromResult(state.State);

    public Task StartTickingAsync(TimeSpan dueTime, TimeSpan period) =>
        this.RegisterOrUpdateReminder("tick", dueTime, period);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        state.State = state.State with { Ticks = state.State.Ticks + 1 };
        await state.WriteStateAsync();
    }
}

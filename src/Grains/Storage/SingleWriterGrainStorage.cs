using Orleans.Storage;

namespace Autonomy.Hosting;

/// <summary>
/// The embedded grain storage with one writer: SQLite lets one connection write at a time, and a second writer that
/// finds the file locked is retried by Microsoft.Data.Sqlite with a blocking 150 ms sleep on a thread-pool thread.
/// Writes and clears therefore take turns here, waiting asynchronously; reads go straight through (WAL lets them
/// run beside the writer). Nothing about what is stored changes: the inner provider writes every row as before.
/// </summary>
internal sealed class SingleWriterGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private readonly SemaphoreSlim _writer = new(1, 1);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await _writer.WaitAsync();
        try
        {
            await inner.WriteStateAsync(stateName, grainId, grainState);
        }
        finally
        {
            _writer.Release();
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await _writer.WaitAsync();
        try
        {
            await inner.ClearStateAsync(stateName, grainId, grainState);
        }
        finally
        {
            _writer.Release();
        }
    }
}

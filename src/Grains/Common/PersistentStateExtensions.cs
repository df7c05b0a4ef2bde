namespace Autonomy.Common;

/// <summary>How every grain here writes its state: the new value is kept only once it is stored.</summary>
public static class PersistentStateExtensions
{
    /// <summary>
    /// Replaces the state with <paramref name="next"/> and writes it; when the write fails the previous value is
    /// restored before the failure propagates, so the grain never goes on with a state the store does not hold.
    /// </summary>
    public static async Task ReplaceAsync<T>(this IPersistentState<T> state, T next)
    {
        ArgumentNullException.ThrowIfNull(state);
        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = previous;
            throw;
        }
    }
}
